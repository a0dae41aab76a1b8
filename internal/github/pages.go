package github

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	gh "github.com/google/go-github/v89/github"
)

// perPage is GitHub's largest REST page: fewer requests for the same rows.
const perPage = 100

// Page is one page of a listing. Next is the cursor of the following page
// ("" after the last): store it as the checkpoint once the page is stored,
// together with Validator (store.SaveHTTPCache), and a killed backfill
// resumes at the next page without refetching or duplicating.
type Page[T any] struct {
	Items []T
	Next  string
	// NotModified: GitHub answered 304 to the stored validator. The page is
	// unchanged since it was last stored; Items is empty and the answer was
	// free. A 304 carries no Link header, so Next is empty: a caller that
	// stored several pages of a listing asks for the next one it knows.
	NotModified bool
	Validator   Validator
	Cost        Cost
}

// restPage runs one go-github listing call and wraps its answer.
func restPage[T any](ctx context.Context, what, cursor string, call func(ctx context.Context, page int) ([]T, *gh.Response, error)) (Page[T], error) {
	page := 1
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 1 {
			return Page[T]{}, fmt.Errorf("github: %s: page cursor %q is not a page number", what, cursor)
		}
		page = n
	}
	ctx, m := withMeter(ctx)
	items, resp, err := call(ctx, page)
	p := Page[T]{Cost: m.cost()}
	if resp != nil {
		p.Validator = validatorOf(resp.Response)
		if resp.StatusCode == http.StatusNotModified {
			p.NotModified = true
			return p, nil
		}
	}
	if err != nil {
		return p, callError(what, resp, err)
	}
	p.Items = items
	if resp.NextPage != 0 {
		p.Next = strconv.Itoa(resp.NextPage)
	}
	return p, nil
}

// mapStrict converts a page's items with one of the mappings of
// convert.go. An item a mapping refuses (no id, no number: nothing GitHub
// sends) fails the page as malformed rather than vanishing.
func mapStrict[A, B any](p Page[A], err error, what string, f func(A) (B, bool)) (Page[B], error) {
	out := Page[B]{Next: p.Next, NotModified: p.NotModified, Validator: p.Validator, Cost: p.Cost}
	if err != nil || p.Items == nil {
		return out, err
	}
	out.Items = make([]B, 0, len(p.Items))
	for i, a := range p.Items {
		b, ok := f(a)
		if !ok {
			return Page[B]{Cost: p.Cost}, fmt.Errorf("github: %s: %w: item %d of the page lacks its id", what, ErrMalformed, i+1)
		}
		out.Items = append(out.Items, b)
	}
	return out, nil
}

func listOpts(page int) gh.ListOptions { return gh.ListOptions{Page: page, PerPage: perPage} }
