package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sextant-dev/sextant/internal/github"
	"github.com/sextant-dev/sextant/internal/github/githubtest"
)

func appKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func TestAppInstallationTokenRefresh(t *testing.T) {
	key, pemKey := appKey(t)
	e := newEnv(t,
		githubtest.Options{App: &githubtest.App{ID: 42, InstallationID: 7, PublicKey: &key.PublicKey, TokenTTL: time.Hour}},
		github.Options{App: &github.AppCredentials{AppID: 42, InstallationID: 7, PrivateKeyPEM: pemKey}})
	e.fake.Mutate(func(st *githubtest.State) { st.AddMember("acme", "ann", "member") })
	ctx := context.Background()
	get := func(when string) {
		t.Helper()
		if p, err := e.client.OrgMembers(ctx, "acme", "member", ""); err != nil || len(p.Items) != 1 {
			t.Fatalf("%s: %+v, %v", when, p, err)
		}
	}
	get("first request")
	if n := e.fake.Stats().TokensIssued; n != 1 {
		t.Fatalf("%d tokens issued; want 1", n)
	}
	// 50 minutes in, the token has 10 minutes left: more than the 5-minute
	// margin, so it is reused.
	e.clock.Advance(50 * time.Minute)
	get("at 50 minutes")
	if n := e.client.AppTokenFetches(); n != 1 {
		t.Errorf("at 50 minutes: %d token fetches; want 1", n)
	}
	// At 56 minutes it expires within the margin: refreshed before use,
	// so GitHub never sees an expired token.
	e.clock.Advance(6 * time.Minute)
	get("at 56 minutes")
	if n := e.client.AppTokenFetches(); n != 2 {
		t.Errorf("at 56 minutes: %d token fetches; want 2", n)
	}
	// Long past expiry: a third token.
	e.clock.Advance(3 * time.Hour)
	get("hours later")
	if st := e.fake.Stats(); st.TokensIssued != 3 {
		t.Errorf("fake issued %d tokens; want 3", st.TokensIssued)
	}
	if e.client.Budget().Label() != "app:42" {
		t.Errorf("label %q; want app:42", e.client.Budget().Label())
	}
	// App hook deliveries use the App's JWT, not the installation token.
	p, err := e.client.HookDeliveries(ctx, github.HookRef{Kind: github.HookApp}, "")
	if err != nil || len(p.Items) != 0 {
		t.Errorf("app hook deliveries: %+v, %v", p, err)
	}
}

func TestAppCredentialErrors(t *testing.T) {
	key, pemKey := appKey(t)
	if _, err := github.New(github.Options{App: &github.AppCredentials{AppID: 1, InstallationID: 2, PrivateKeyPEM: []byte("not a key")}}); err == nil ||
		!strings.Contains(err.Error(), "private key is not a PEM RSA key") || strings.Contains(err.Error(), "not a key") {
		t.Errorf("bad key: %v; want a clear error without the key's text", err)
	}
	if _, err := github.New(github.Options{App: &github.AppCredentials{AppID: 1, PrivateKeyPEM: pemKey}}); err == nil || !strings.Contains(err.Error(), "installation id") {
		t.Errorf("no installation: %v", err)
	}
	if _, err := github.New(github.Options{}); err == nil || !strings.Contains(err.Error(), "github.token") {
		t.Errorf("no credentials: %v; want the settings named", err)
	}
	// An installation GitHub does not know fails without endless retries.
	e := newEnv(t,
		githubtest.Options{App: &githubtest.App{ID: 42, InstallationID: 7, PublicKey: &key.PublicKey}},
		github.Options{App: &github.AppCredentials{AppID: 42, InstallationID: 8, PrivateKeyPEM: pemKey}})
	_, err := e.client.OrgMembers(context.Background(), "acme", "member", "")
	if err == nil || !strings.Contains(err.Error(), "installation 8 token: 404") {
		t.Errorf("unknown installation: %v", err)
	}
	if s := e.clock.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v; a refused installation is not retried", s)
	}
	// A key the App does not have is refused the same way.
	_, other := appKey(t)
	e = newEnv(t,
		githubtest.Options{App: &githubtest.App{ID: 42, InstallationID: 7, PublicKey: &key.PublicKey}},
		github.Options{App: &github.AppCredentials{AppID: 42, InstallationID: 7, PrivateKeyPEM: other}})
	_, err = e.client.OrgMembers(context.Background(), "acme", "member", "")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v", err)
	}
	// A personal access token cannot read the App's hook.
	e = newEnv(t, githubtest.Options{}, github.Options{})
	if _, err := e.client.HookDeliveries(context.Background(), github.HookRef{Kind: github.HookApp}, ""); err == nil || !strings.Contains(err.Error(), "GitHub App authentication") {
		t.Errorf("app hook with a token: %v", err)
	}
	var ae *github.APIError
	if _, err := e.client.OrgMembers(context.Background(), "nobody", "member", ""); !errors.As(err, &ae) || !errors.Is(err, github.ErrNotFound) {
		t.Errorf("unknown org: %v; want ErrNotFound", err)
	}
}

func TestEnterpriseServer(t *testing.T) {
	e := newEnv(t, githubtest.Options{Enterprise: true}, github.Options{BaseURL: "/api/v3"})
	if want := e.srv.URL + "/api/graphql"; e.client.GraphQLURL() != want {
		t.Errorf("GraphQL at %s; want %s", e.client.GraphQLURL(), want)
	}
	e.repo("api", 40)
	e.fake.Mutate(func(st *githubtest.State) {
		for i := range 120 {
			st.AddMember("acme", fmt.Sprintf("u%d", i), "member")
		}
	})
	ctx := context.Background()
	// REST under /api/v3, with Link headers that keep the prefix.
	n, cursor := 0, ""
	for {
		p, err := e.client.OrgMembers(ctx, "acme", "member", cursor)
		if err != nil {
			t.Fatal(err)
		}
		n += len(p.Items)
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if n != 120 {
		t.Errorf("%d members over /api/v3; want 120", n)
	}
	p, err := e.client.PullRequests(ctx, "acme", "api", github.PullQuery{})
	if err != nil || len(p.Items) != 37 {
		t.Errorf("GraphQL at /api/graphql: %d items, %v", len(p.Items), err)
	}
	routes := e.fake.Stats().ByRoute
	if routes["GET /orgs/{org}/members"] != 2 || routes["POST /graphql"] != 1 {
		t.Errorf("routes %v", routes)
	}
}
