package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	ghmap "github.com/sextant-dev/sextant/internal/github"
)

// runBench runs a benchmark against a running server.
func runBench(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "ingest" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintln(env.Stdout, "Usage: sextant bench ingest --url URL --secret S [--duration D] [--concurrency C]")
			return nil
		}
		return usageError{errors.New("want a benchmark: sextant bench ingest --url URL --secret S")}
	}
	return runBenchIngest(ctx, env, args[1:])
}

// defaultBenchPayloads is where the example payloads are from the
// project's root.
const defaultBenchPayloads = "testdata/octokit-webhooks/pull_request"

// runBenchIngest sends signed pull_request deliveries (the example
// payloads, each with a unique delivery id) to POST /webhooks/github from
// C concurrent clients for D, then asks the server which of the
// acknowledged deliveries it holds, and prints one line of results.
func runBenchIngest(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "bench ingest", "bench ingest --url URL --secret S [--duration D] [--concurrency C]")
	base := fs.String("url", "", "server root, such as http://127.0.0.1:8080 (required)")
	secret := fs.String("secret", "", "the server's webhook secret (env SEXTANT_GITHUB_WEBHOOK_SECRET)")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	concurrency := fs.Int("concurrency", 32, "deliveries in flight at once")
	payloads := fs.String("payloads", defaultBenchPayloads, "directory of pull_request example payloads (*.json)")
	token := fs.String("token", "", "API token with the read scope, for the lookup of stored deliveries (env SEXTANT_TOKEN; not needed when the server allows anonymous reads)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *secret == "" {
		*secret = strings.Split(env.Getenv("SEXTANT_GITHUB_WEBHOOK_SECRET"), ",")[0]
	}
	if *token == "" {
		*token = env.Getenv("SEXTANT_TOKEN")
	}
	switch u, err := url.Parse(*base); {
	case *base == "":
		return usageError{errors.New("--url is required (the server root, such as http://127.0.0.1:8080)")}
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return usageError{fmt.Errorf("--url %q is not an http(s) URL", *base)}
	case *secret == "":
		return usageError{errors.New("--secret is required (or SEXTANT_GITHUB_WEBHOOK_SECRET)")}
	case *duration <= 0:
		return usageError{errors.New("--duration must be positive")}
	case *concurrency < 1 || *concurrency > 4096:
		return usageError{fmt.Errorf("--concurrency must be between 1 and 4096, got %d", *concurrency)}
	}
	bodies, err := benchBodies(*payloads)
	if err != nil {
		return err
	}
	root := strings.TrimRight(*base, "/")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: *concurrency, MaxIdleConnsPerHost: *concurrency, IdleConnTimeout: time.Minute,
	}}
	res := benchSend(ctx, client, root+"/webhooks/github", *secret, bodies, *duration, *concurrency)
	stored, err := benchLookup(ctx, client, root+"/api/v1/webhooks/deliveries/lookup", *token, res.acked)
	if err != nil {
		return err
	}
	lost := len(res.acked) - stored
	fmt.Fprintf(env.Stdout, "ingest deliveries_per_sec=%d p50_ms=%s p99_ms=%s errors=%d lost=%d\n",
		int(math.Round(float64(len(res.acked))/res.elapsed.Seconds())), ms(percentile(res.latencies, 0.50)),
		ms(percentile(res.latencies, 0.99)), res.errors, lost)
	return nil
}

type benchBody struct {
	body      []byte
	signature string
}

func benchBodies(dir string) ([]benchBody, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("--payloads %s: no *.json example payloads there (run from the project's root, or point --payloads at a folder of pull_request example payloads)", dir)
	}
	slices.Sort(files)
	var out []benchBody
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--payloads: %w", err)
		}
		out = append(out, benchBody{body: b})
	}
	return out, nil
}

type benchResult struct {
	acked     []string
	latencies []time.Duration
	errors    int
	elapsed   time.Duration
}

func benchSend(ctx context.Context, client *http.Client, endpoint, secret string, bodies []benchBody,
	duration time.Duration, concurrency int) benchResult {
	for i := range bodies {
		bodies[i].signature = ghmap.Sign(secret, bodies[i].body)
	}
	var prefix [6]byte
	rand.Read(prefix[:])
	run := hex.EncodeToString(prefix[:])
	start := time.Now()
	deadline := start.Add(duration)
	var (
		mu  sync.Mutex
		all benchResult
		wg  sync.WaitGroup
	)
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine benchResult
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				b := bodies[(w+n)%len(bodies)]
				guid := fmt.Sprintf("bench-%s-%04d-%08d", run, w, n)
				t0 := time.Now()
				ok := benchPost(ctx, client, endpoint, guid, b)
				mine.latencies = append(mine.latencies, time.Since(t0))
				if ok {
					mine.acked = append(mine.acked, guid)
				} else {
					mine.errors++
				}
			}
			mu.Lock()
			all.acked = append(all.acked, mine.acked...)
			all.latencies = append(all.latencies, mine.latencies...)
			all.errors += mine.errors
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	return all
}

func benchPost(ctx context.Context, client *http.Client, endpoint, guid string, b benchBody) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(b.body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", guid)
	req.Header.Set(ghmap.SignatureHeader, b.signature)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// benchLookup returns how many of ids the server holds.
func benchLookup(ctx context.Context, client *http.Client, endpoint, token string, ids []string) (int, error) {
	const chunk = 5000
	stored := 0
	for start := 0; start < len(ids); start += chunk {
		body, _ := json.Marshal(map[string][]string{"ids": ids[start:min(start+chunk, len(ids))]})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("look up stored deliveries: %w", err)
		}
		var answer struct {
			Stored []string `json:"stored"`
			Error  string   `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("look up stored deliveries: %s: %s", resp.Status, answer.Error)
		}
		if err != nil {
			return 0, fmt.Errorf("look up stored deliveries: %w", err)
		}
		stored += len(answer.Stored)
	}
	return stored, nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}
