package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/blindvault/blindvault/internal/api"
	"github.com/blindvault/blindvault/internal/auditlog"
)

// fillLog appends n synthetic entries to the test server's log, 100 a
// transaction.
func fillLog(t *testing.T, ts *testServer, n int) {
	t.Helper()
	for n > 0 {
		var batch [][]byte
		for range min(n, 100) {
			e := ts.entry(auditlog.OPRFEvaluated, [32]byte{byte(n), byte(n >> 8)})
			batch = append(batch, e.Marshal())
			n--
		}
		if _, err := ts.Store.AppendLog(t.Context(), batch...); err != nil {
			t.Fatal(err)
		}
	}
}

// openTiledCheckpoint fetches <prefix>/checkpoint as a tlog client does and
// verifies it with x/mod's note and torchwood's checkpoint parser only.
func openTiledCheckpoint(t *testing.T, f *torchwood.TileFetcher, v note.Verifier, origin string) torchwood.Checkpoint {
	t.Helper()
	signed, err := f.ReadEndpoint(t.Context(), "checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open(checkpoint) = %v", err)
	}
	cp, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil {
		t.Fatalf("ParseCheckpoint(%q) = %v", n.Text, err)
	}
	if cp.Origin != origin || cp.Extension != "" {
		t.Fatalf("checkpoint origin %q extension %q, want %q and none", cp.Origin, cp.Extension, origin)
	}
	return cp
}

// A tlog client that knows nothing of Blindvault (filippo.io/torchwood over
// x/mod's tlog and note) follows the tiled log of a real server: it verifies
// the checkpoint, reads every entry bundle against the tree's leaves, checks
// inclusion proofs built from hash tiles and a consistency proof between two
// checkpoints.
func TestTiles_TorchwoodClient(t *testing.T) {
	ts := newTestServer(t, recConfig())
	ctx := context.Background()
	var key api.LogKey
	if _, body := getBody(t, ts, "/v1/log/key", nil); json.Unmarshal(body, &key) != nil {
		t.Fatalf("GET /v1/log/key = %q", body)
	}
	v, err := note.NewVerifier(key.Key)
	if err != nil {
		t.Fatal(err)
	}
	prefix := ts.URL + "/log"
	// The origin is the prefix without its scheme, as c2sp.org/tlog-tiles recommends.
	origin := strings.TrimPrefix(prefix, "http://")
	f, err := torchwood.NewTileFetcher(prefix, torchwood.WithHTTPClient(ts.HTTP))
	if err != nil {
		t.Fatal(err)
	}
	client, err := torchwood.NewClient(f)
	if err != nil {
		t.Fatal(err)
	}

	fillLog(t, ts, 300-logSize(t, ts))
	old := openTiledCheckpoint(t, f, v, origin)
	fillLog(t, ts, 300)
	cp := openTiledCheckpoint(t, f, v, origin)
	if old.N != 300 || cp.N != 600 {
		t.Fatalf("checkpoint sizes %d, %d; want 300, 600", old.N, cp.N)
	}

	// Every entry, from full and partial bundles, hashes to its leaf
	// (torchwood checks each against the tiles of the verified tree).
	want, err := ts.Store.LogEntries(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for len(got) < int(cp.N) {
		before := len(got)
		for i, e := range client.Entries(ctx, cp.Tree, int64(len(got))) {
			if i != int64(len(got)) {
				t.Fatalf("entry %d after %d", i, len(got))
			}
			got = append(got, bytes.Clone(e))
		}
		if err := client.Err(); err != nil {
			t.Fatalf("Entries: %v", err)
		}
		if len(got) == before {
			t.Fatalf("Entries stopped at %d of %d", len(got), cp.N)
		}
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("entry %d = %x, want %x", i, got[i], want[i])
		}
	}

	// Inclusion proofs from hash tiles, in the new tree and the old one.
	for _, i := range []int64{0, 255, 256, 299, 511, 512, 599} {
		e, proof, err := client.Entry(ctx, cp.Tree, i)
		if err != nil {
			t.Fatalf("Entry(%d) = %v", i, err)
		}
		if err := tlog.CheckRecord(proof, cp.N, cp.Hash, i, tlog.RecordHash(want[i])); err != nil || !bytes.Equal(e, want[i]) {
			t.Fatalf("entry %d: proof %v, same bytes %v", i, err, bytes.Equal(e, want[i]))
		}
	}
	if _, _, err := client.Entry(ctx, old.Tree, 299); err != nil {
		t.Fatalf("Entry(299) in the old tree = %v", err)
	}

	// The new tree extends the old one.
	hr := torchwood.TileHashReaderWithContext(ctx, cp.Tree, f)
	p, err := tlog.ProveTree(cp.N, old.N, hr)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, cp.N, cp.Hash, old.N, old.Hash); err != nil {
		t.Fatalf("consistency %d → %d: %v", old.N, cp.N, err)
	}
	// The tiled checkpoint is the one /v1/log serves.
	_, api1 := getBody(t, ts, "/v1/log/checkpoint", nil)
	tiled, _ := f.ReadEndpoint(ctx, "checkpoint")
	if !bytes.Equal(api1, tiled) {
		t.Fatalf("/v1/log/checkpoint = %q, /log/checkpoint = %q", api1, tiled)
	}
}

// Tiles the tree of 600 entries holds are served with immutable caching;
// partial tiles at their width only; anything past the tree, or a path that
// is not canonical, is an error that is not cached.
func TestTiles_PathsAndCaching(t *testing.T) {
	ts := newTestServer(t, recConfig())
	fillLog(t, ts, 600-logSize(t, ts))
	cases := []struct {
		path   string
		status int
		size   int
	}{
		{"tile/0/000", 200, 256 * 32},
		{"tile/0/001", 200, 256 * 32},
		{"tile/0/002.p/88", 200, 88 * 32},
		{"tile/0/002.p/1", 200, 32},
		{"tile/0/001.p/7", 200, 7 * 32}, // a prefix of a full tile: a past tree's partial
		{"tile/1/000.p/2", 200, 2 * 32},
		{"tile/entries/000", 200, -1},
		{"tile/entries/002.p/88", 200, -1},
		{"checkpoint", 200, -1},
		{"tile/0/002.p/89", 404, 0},
		{"tile/0/002", 404, 0},
		{"tile/0/003", 404, 0},
		{"tile/0/x001/000", 404, 0},
		{"tile/entries/002", 404, 0},
		{"tile/entries/002.p/89", 404, 0},
		{"tile/1/000", 404, 0},
		{"tile/1/000.p/3", 404, 0},
		{"tile/2/000.p/1", 404, 0},
		{"tile/63/000.p/1", 404, 0},
		{"tile/0/002.p/088", 400, 0},
		{"tile/0/002.p/256", 400, 0},
		{"tile/0/002.p/0", 400, 0},
		{"tile/00/000", 400, 0},
		{"tile/64/000", 400, 0},
		{"tile/0/x000/002", 400, 0},
		{"tile/0/01", 404, 0}, // not a tile path at all: no route
		{"tile/data/000", 404, 0},
	}
	for _, c := range cases {
		resp, body := getBody(t, ts, "/log/"+c.path, nil)
		cc, ct := resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type")
		switch {
		case resp.StatusCode != c.status:
			t.Errorf("GET %s = %d %s, want %d", c.path, resp.StatusCode, body, c.status)
		case c.path == "checkpoint":
			if ct != "text/plain; charset=utf-8" || cc != "no-store" {
				t.Errorf("GET checkpoint: Content-Type %q, Cache-Control %q", ct, cc)
			}
		case c.status == 200:
			if ct != "application/octet-stream" || cc != immutable || (c.size >= 0 && len(body) != c.size) {
				t.Errorf("GET %s: %d bytes, Content-Type %q, Cache-Control %q; want %d bytes", c.path, len(body), ct, cc, c.size)
			}
		default:
			var e api.Error
			if json.Unmarshal(body, &e) != nil || e.Error.Code == "" || ct != "application/json" {
				t.Errorf("GET %s: body %q, Content-Type %q; want a JSON error", c.path, body, ct)
			}
			if routed := c.path != "tile/0/01" && c.path != "tile/data/000"; routed && cc != "no-store" {
				t.Errorf("GET %s: Cache-Control %q, want no-store", c.path, cc)
			}
		}
	}
}

// getBody is get (limits_test.go) with the answer's body read.
func getBody(t *testing.T, ts *testServer, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// logSize is the test server's log size.
func logSize(t *testing.T, ts *testServer) int {
	t.Helper()
	var n int64
	if err := ts.Store.LogView(t.Context(), func(size int64, _ tlog.HashReader) error { n = size; return nil }); err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestParseTile_RoundTrip(t *testing.T) {
	for _, tl := range []tlog.Tile{
		{H: 8, L: 0, N: 0, W: 256}, {H: 8, L: -1, N: 1234067, W: 256}, {H: 8, L: 3, N: 999, W: 17}, {H: 8, L: -1, N: 1000, W: 1},
	} {
		got, err := parseTile(torchwood.TilePath(tl))
		if err != nil || got != tl {
			t.Errorf("parseTile(%q) = %+v, %v; want %+v", torchwood.TilePath(tl), got, err, tl)
		}
	}
}

// Whatever parseTile accepts is the canonical c2sp.org/tlog-tiles path of a
// tile of height 8 within the spec's bounds.
func FuzzParseTile(f *testing.F) {
	for _, p := range []string{"tile/0/000", "tile/entries/x001/x234/067", "tile/3/999.p/17", "tile/0/002.p/088", "tile/63/000.p/1", "tile/entries/000.p/255"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		tl, err := parseTile(path)
		if err != nil {
			return
		}
		if tl.H != tileHeight || tl.L < -1 || tl.L > 63 || tl.W < 1 || tl.W > 256 || tl.N < 0 {
			t.Fatalf("parseTile(%q) = %+v, out of bounds", path, tl)
		}
		if got := torchwood.TilePath(tl); got != path {
			t.Fatalf("parseTile(%q) = %+v, which is %q", path, tl, got)
		}
	})
}

// An entry bundle is gzipped for a client that takes gzip and is the same
// bytes once inflated; one that asks for identity gets them as they are.
func TestTiles_EntryBundleGzip(t *testing.T) {
	ts := newTestServer(t, recConfig())
	fillLog(t, ts, 256-logSize(t, ts))
	// Accept-Encoding set by hand: the transport then leaves the body as sent.
	plainResp, plain := getBody(t, ts, "/log/tile/entries/000", map[string]string{"Accept-Encoding": "identity"})
	zResp, z := getBody(t, ts, "/log/tile/entries/000", map[string]string{"Accept-Encoding": "br;q=1, gzip;q=0.5"})
	if plainResp.Header.Get("Content-Encoding") != "" || zResp.Header.Get("Content-Encoding") != "gzip" || zResp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("Content-Encoding %q and %q, Vary %q", plainResp.Header.Get("Content-Encoding"), zResp.Header.Get("Content-Encoding"), zResp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	inflated, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(inflated, plain) {
		t.Fatalf("the gzipped bundle inflates to %d bytes (%v), want the %d of the plain one", len(inflated), err, len(plain))
	}
	t.Logf("a bundle of 256 entries: %d bytes, %d gzipped", len(plain), len(z))
}

func TestAcceptsGzip(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip": true, "gzip;q=0": false, "gzip; q=0.000": false,
		"gzip;q=0.1": true, "identity": false, "br, gzipx": false, "x-gzip": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if v != "" {
			r.Header.Set("Accept-Encoding", v)
		}
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", v, got, want)
		}
	}
}
