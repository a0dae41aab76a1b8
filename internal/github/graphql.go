package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// GraphQLError is an answer whose "errors" GitHub filled: a query it
// rejected (validation, a missing object) or a failure while resolving.
type GraphQLError struct {
	What   string
	Errors []GraphQLMessage
}

// GraphQLMessage is one entry of a GraphQL answer's "errors".
type GraphQLMessage struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

func (e *GraphQLError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, m := range e.Errors {
		msgs[i] = m.Message
		if m.Type != "" {
			msgs[i] = m.Type + ": " + m.Message
		}
	}
	return fmt.Sprintf("github: %s: graphql: %s", e.What, strings.Join(msgs, "; "))
}

// Is makes a NOT_FOUND error match ErrNotFound.
func (e *GraphQLError) Is(target error) bool {
	if target != ErrNotFound {
		return false
	}
	for _, m := range e.Errors {
		if m.Type == "NOT_FOUND" {
			return true
		}
	}
	return false
}

// rateLimitField is selected by every query: it costs nothing and tells
// the query's cost exactly.
const rateLimitField = `rateLimit { cost remaining limit resetAt }`

type gqlRateLimit struct {
	Cost      int       `json:"cost"`
	Remaining int       `json:"remaining"`
	Limit     int       `json:"limit"`
	ResetAt   time.Time `json:"resetAt"`
}

func (c *Client) graphql(ctx context.Context, what, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("github: %s: encode query: %w", what, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.graphqlURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("github: %s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	before := c.budget.Limit(ResourceGraphQL)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("github: %s: %w", what, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("github: %s: read answer: %w", what, err)
	}
	var env struct {
		Data   json.RawMessage  `json:"data"`
		Errors []GraphQLMessage `json:"errors"`
	}
	decErr := json.Unmarshal(data, &env)
	if resp.StatusCode != http.StatusOK {
		msg := ""
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil {
			msg = e.Message
		}
		return &APIError{What: what, Status: resp.StatusCode, Message: msg}
	}
	if decErr != nil {
		return fmt.Errorf("github: %s: %w: %v", what, ErrMalformed, decErr)
	}
	// The cost is charged even when the query failed part way.
	var rl struct {
		RateLimit *gqlRateLimit `json:"rateLimit"`
	}
	points := 0
	if len(env.Data) > 0 && json.Unmarshal(env.Data, &rl) == nil && rl.RateLimit != nil {
		points = rl.RateLimit.Cost
	} else if after := c.budget.Limit(ResourceGraphQL); after.Reset.Equal(before.Reset) && after.Used > before.Used {
		points = after.Used - before.Used
	}
	c.budget.addPoints(ResourceGraphQL, points)
	if m := meterOf(ctx); m != nil {
		m.graphql.Add(int64(points))
	}
	if len(env.Errors) > 0 {
		return &GraphQLError{What: what, Errors: env.Errors}
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("github: %s: %w: answer has no data", what, ErrMalformed)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("github: %s: %w: %v", what, ErrMalformed, err)
		}
	}
	return nil
}

func isDecodeError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF)
}
