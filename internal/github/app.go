package github

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v89/github"
)

// AppCredentials authenticate as a GitHub App installation.
type AppCredentials struct {
	AppID          int64
	InstallationID int64
	PrivateKeyPEM  []byte
}

// Installation tokens live an hour; refresh this long before they expire so
// a request never carries a token that dies on the way.
const (
	tokenRefreshMargin = 5 * time.Minute
	jwtLifetime        = 9 * time.Minute // GitHub allows at most 10
	jwtBackdate        = time.Minute     // GitHub's advice against clock drift
)

// appAuth signs App JWTs and keeps an installation token fresh.
type appAuth struct {
	appID, installationID int64
	key                   *rsa.PrivateKey
	clock                 Clock
	apps                  *gh.Client // authenticated with JWTs: the /app endpoints

	mu      sync.Mutex
	token   string
	expires time.Time
	fetches int
}

func newAppAuth(creds AppCredentials, clock Clock) (*appAuth, error) {
	if creds.AppID <= 0 {
		return nil, errors.New("github app: app id must be positive")
	}
	if creds.InstallationID <= 0 {
		return nil, errors.New("github app: installation id must be positive")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(creds.PrivateKeyPEM)
	if err != nil {
		// The key's bytes never reach the message.
		return nil, fmt.Errorf("github app: private key is not a PEM RSA key: %w", errors.Unwrap(err))
	}
	return &appAuth{appID: creds.AppID, installationID: creds.InstallationID, key: key, clock: clock}, nil
}

// JWT returns a fresh App JWT (RS256, issued a minute in the past, valid
// nine minutes).
func (a *appAuth) JWT(context.Context) (string, error) {
	now := a.clock.Now()
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(a.appID, 10),
		IssuedAt:  jwt.NewNumericDate(now.Add(-jwtBackdate)),
		ExpiresAt: jwt.NewNumericDate(now.Add(jwtLifetime)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.key)
	if err != nil {
		return "", permanentError{fmt.Errorf("github app %d: sign jwt: %w", a.appID, err)}
	}
	return s, nil
}

// Token returns the installation token, fetching a new one when there is
// none or it expires within tokenRefreshMargin.
func (a *appAuth) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && a.clock.Now().Add(tokenRefreshMargin).Before(a.expires) {
		return a.token, nil
	}
	tok, _, err := a.apps.Apps.CreateInstallationToken(ctx, a.installationID, nil)
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && (er.Response.StatusCode == http.StatusUnauthorized || er.Response.StatusCode == http.StatusNotFound || er.Response.StatusCode == http.StatusForbidden) {
			return "", permanentError{fmt.Errorf("github app %d: installation %d token: %s", a.appID, a.installationID, er.Response.Status)}
		}
		return "", fmt.Errorf("github app %d: installation %d token: %w", a.appID, a.installationID, err)
	}
	if tok.GetToken() == "" || tok.ExpiresAt == nil {
		return "", fmt.Errorf("github app %d: installation token answer has no token or expiry", a.appID)
	}
	a.token, a.expires = tok.GetToken(), tok.ExpiresAt.Time
	a.fetches++
	return a.token, nil
}

// TokenFetches is how many installation tokens were fetched (tests check
// the refresh).
func (a *appAuth) TokenFetches() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fetches
}
