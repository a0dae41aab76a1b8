// Package github is Sextant's side of GitHub: webhook signature checks and
// the mapping of go-github's types (the same for webhook payloads and REST
// answers) to the domain types of internal/core.
package github

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	gh "github.com/google/go-github/v89/github"
)

// Signature headers of a webhook delivery.
const (
	SignatureHeader       = gh.SHA256SignatureHeader // X-Hub-Signature-256
	LegacySignatureHeader = gh.SHA1SignatureHeader   // X-Hub-Signature
)

// Verification errors. Neither says anything about the secrets.
var (
	ErrNoSignature  = errors.New("missing signature: send X-Hub-Signature-256 (HMAC-SHA256 of the body with the webhook secret)")
	ErrBadSignature = errors.New("signature does not match the body for any configured webhook secret")
)

// Verifier checks webhook signatures against one or more secrets, so a
// secret can be rotated without losing deliveries: configure the new one
// beside the old, change it on GitHub, then drop the old.
type Verifier struct {
	secrets [][]byte
}

// NewVerifier returns a verifier for the given secrets; empty ones are
// ignored.
func NewVerifier(secrets []string) *Verifier {
	v := &Verifier{}
	for _, s := range secrets {
		if s != "" {
			v.secrets = append(v.secrets, []byte(s))
		}
	}
	return v
}

// Configured reports whether there is any secret to verify with. Without
// one, deliveries must be refused: an unsigned delivery proves nothing.
func (v *Verifier) Configured() bool { return v != nil && len(v.secrets) > 0 }

// Verify checks body against the signature headers. The SHA-256 signature
// is used when present; the legacy SHA-1 one only when it is absent (so a
// forged SHA-1 header beside a SHA-256 one gains nothing). The comparison is
// constant-time (go-github's ValidateSignature uses hmac.Equal).
func (v *Verifier) Verify(sha256Header, sha1Header string, body []byte) error {
	sig, prefix := strings.TrimSpace(sha256Header), "sha256="
	if sig == "" {
		sig, prefix = strings.TrimSpace(sha1Header), "sha1="
	}
	if sig == "" {
		return ErrNoSignature
	}
	if !strings.HasPrefix(sig, prefix) {
		return ErrBadSignature
	}
	for _, secret := range v.secrets {
		if gh.ValidateSignature(sig, body, secret) == nil {
			return nil
		}
	}
	return ErrBadSignature
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignLegacy returns the X-Hub-Signature (SHA-1) value for body.
func SignLegacy(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}
