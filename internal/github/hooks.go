package github

import (
	"context"
	"errors"
	"fmt"

	gh "github.com/google/go-github/v89/github"
)

// HookKind is where a webhook is configured.
type HookKind string

// Webhook owners.
const (
	HookRepo HookKind = "repo"
	HookOrg  HookKind = "org"
	HookApp  HookKind = "app" // the GitHub App's own webhook (JWT-authenticated)
)

// HookRef names one webhook: a repository's (Owner, Repo, ID), an
// organization's (Owner, ID) or the App's (no fields).
type HookRef struct {
	Kind  HookKind
	Owner string
	Repo  string
	ID    int64
}

func (h HookRef) String() string {
	switch h.Kind {
	case HookRepo:
		return fmt.Sprintf("hook %d of %s/%s", h.ID, h.Owner, h.Repo)
	case HookOrg:
		return fmt.Sprintf("hook %d of %s", h.ID, h.Owner)
	}
	return "app hook"
}

// Hooks lists the webhooks of a repository (repo non-empty) or an
// organization.
func (c *Client) Hooks(ctx context.Context, owner, repo, cursor string) (Page[*gh.Hook], error) {
	if repo != "" {
		return restPage(ctx, "hooks of "+owner+"/"+repo, cursor, func(ctx context.Context, page int) ([]*gh.Hook, *gh.Response, error) {
			lo := listOpts(page)
			return c.REST.Repositories.ListHooks(ctx, owner, repo, &lo)
		})
	}
	return restPage(ctx, "hooks of "+owner, cursor, func(ctx context.Context, page int) ([]*gh.Hook, *gh.Response, error) {
		lo := listOpts(page)
		return c.REST.Organizations.ListHooks(ctx, owner, &lo)
	})
}

var errNeedsApp = errors.New("the app hook needs GitHub App authentication (github.app_id)")

// HookDeliveries lists a webhook's recent deliveries, newest first. The
// cursor is GitHub's (deliveries page by cursor, not by number).
func (c *Client) HookDeliveries(ctx context.Context, h HookRef, cursor string) (Page[*gh.HookDelivery], error) {
	what := "deliveries of " + h.String()
	if h.Kind == HookApp && c.appREST == nil {
		return Page[*gh.HookDelivery]{}, fmt.Errorf("github: %s: %w", what, errNeedsApp)
	}
	ctx, m := withMeter(ctx)
	opts := &gh.ListCursorOptions{PerPage: perPage, Cursor: cursor}
	var (
		ds   []*gh.HookDelivery
		resp *gh.Response
		err  error
	)
	switch h.Kind {
	case HookRepo:
		ds, resp, err = c.REST.Repositories.ListHookDeliveries(ctx, h.Owner, h.Repo, h.ID, opts)
	case HookOrg:
		ds, resp, err = c.REST.Organizations.ListHookDeliveries(ctx, h.Owner, h.ID, opts)
	case HookApp:
		ds, resp, err = c.appREST.Apps.ListHookDeliveries(ctx, opts)
	default:
		return Page[*gh.HookDelivery]{}, fmt.Errorf("github: %s: unknown hook kind %q", what, h.Kind)
	}
	p := Page[*gh.HookDelivery]{Cost: m.cost()}
	if resp != nil {
		p.Validator = validatorOf(resp.Response)
		if resp.StatusCode == 304 {
			p.NotModified = true
			return p, nil
		}
	}
	if err != nil {
		return p, callError(what, resp, err)
	}
	p.Items, p.Next = ds, resp.Cursor
	return p, nil
}

// Redeliver asks GitHub to send a delivery again.
func (c *Client) Redeliver(ctx context.Context, h HookRef, deliveryID int64) (Cost, error) {
	what := fmt.Sprintf("redeliver %d of %s", deliveryID, h)
	if h.Kind == HookApp && c.appREST == nil {
		return Cost{}, fmt.Errorf("github: %s: %w", what, errNeedsApp)
	}
	ctx, m := withMeter(ctx)
	var (
		resp *gh.Response
		err  error
	)
	switch h.Kind {
	case HookRepo:
		_, resp, err = c.REST.Repositories.RedeliverHookDelivery(ctx, h.Owner, h.Repo, h.ID, deliveryID)
	case HookOrg:
		_, resp, err = c.REST.Organizations.RedeliverHookDelivery(ctx, h.Owner, h.ID, deliveryID)
	case HookApp:
		_, resp, err = c.appREST.Apps.RedeliverHookDelivery(ctx, deliveryID)
	default:
		return Cost{}, fmt.Errorf("github: %s: unknown hook kind %q", what, h.Kind)
	}
	var accepted *gh.AcceptedError
	if errors.As(err, &accepted) {
		// 202 is GitHub's answer to a redelivery request.
		err = nil
	}
	if err != nil {
		return m.cost(), callError(what, resp, err)
	}
	return m.cost(), nil
}
