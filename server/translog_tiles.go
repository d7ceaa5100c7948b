package server

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"golang.org/x/mod/sumdb/tlog"
)

// The log as a c2sp.org/tlog-tiles log (docs/spec/log-v1.md §9): the same
// tree and checkpoint as /v1/log, served as static-looking resources under
// the prefix <origin>/log, so that any tlog client or monitor can follow and
// verify it without Blindvault's code. The default log origin,
// LogOrigin(origin), is that prefix without its scheme, as the spec
// recommends.

// tilesPrefix is where the tiles, entry bundles and checkpoint are mounted.
const tilesPrefix = "/log"

// tileHeight is c2sp.org/tlog-tiles' fixed tile height: 256 hashes a tile.
const tileHeight = 8

// tileIndex matches a c2sp.org/tlog-tiles tile index: zero-padded 3-digit
// path elements, all but the last prefixed with x. The canonical form is
// checked again by tlog.ParseTilePath.
const tileIndex = `{index:(?:x[0-9]{3}/)*[0-9]{3}}`

// immutable is the Cache-Control of a tile or bundle: its bytes for a given
// path never change (a partial tile names its width).
const immutable = "public, max-age=31536000, immutable"

// tileRoutes registers the tiled log.
func (s *Server) tileRoutes(r *mux.Router) {
	r.HandleFunc(tilesPrefix+"/checkpoint", s.public(s.getCheckpoint)).Methods(http.MethodGet)
	r.HandleFunc(tilesPrefix+"/tile/entries/"+tileIndex, s.public(s.getTile)).Methods(http.MethodGet)
	r.HandleFunc(tilesPrefix+"/tile/entries/"+tileIndex+".p/{width:[0-9]+}", s.public(s.getTile)).Methods(http.MethodGet)
	r.HandleFunc(tilesPrefix+"/tile/{level:[0-9]+}/"+tileIndex, s.public(s.getTile)).Methods(http.MethodGet)
	r.HandleFunc(tilesPrefix+"/tile/{level:[0-9]+}/"+tileIndex+".p/{width:[0-9]+}", s.public(s.getTile)).Methods(http.MethodGet)
}

// parseTile parses a c2sp.org/tlog-tiles path ("tile/<L>/<N>[.p/<W>]" or
// "tile/entries/<N>[.p/<W>]") with tlog.ParseTilePath, which holds the
// go.sum form ("tile/8/<L>/…", "tile/8/data/…") of the same encoding and
// refuses any but the canonical one. An entry bundle is level -1.
func parseTile(path string) (tlog.Tile, error) {
	sumdb := ""
	if rest, ok := strings.CutPrefix(path, "tile/entries/"); ok {
		sumdb = fmt.Sprintf("tile/%d/data/%s", tileHeight, rest)
	} else if rest, ok := strings.CutPrefix(path, "tile/"); ok {
		sumdb = fmt.Sprintf("tile/%d/%s", tileHeight, rest)
	}
	t, err := tlog.ParseTilePath(sumdb)
	if err != nil || t.L > 63 {
		return tlog.Tile{}, errorf(http.StatusBadRequest, "bad_tile", "not a c2sp.org/tlog-tiles path")
	}
	return t, nil
}

// tileInTree reports whether tile t exists in a tree of size entries: the
// hashes it holds at its level, N·256 … N·256+W−1, are all complete.
func tileInTree(t tlog.Tile, size int64) bool {
	level := max(t.L, 0)
	if level*tileHeight >= 63 {
		return false
	}
	have := size >> (level * tileHeight) // complete hashes at that level
	return t.N <= have>>tileHeight && t.N<<tileHeight+int64(t.W) <= have
}

// getTile answers a tile or an entry bundle of the current tree; one the tree
// does not hold (yet) is a 404, which is not cached.
func (s *Server) getTile(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store") // for the errors; a tile overrides it
	t, err := parseTile(strings.TrimPrefix(r.URL.Path, tilesPrefix+"/"))
	if err != nil {
		return err
	}
	var data []byte
	err = s.store.LogView(r.Context(), func(size int64, hr tlog.HashReader) error {
		if !tileInTree(t, size) {
			return errNotFound
		}
		if t.L < 0 {
			return nil // read below, outside the view; the log only grows
		}
		var err error
		if data, err = tlog.ReadTileData(t, hr); err != nil {
			return fmt.Errorf("tile %d/%d: %w", t.L, t.N, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if t.L < 0 {
		if data, err = s.entryBundle(r, t); err != nil {
			return err
		}
		// Bundles are compressed for clients that take gzip, as the spec
		// asks (about half the size: many entry fields are zero); hash
		// tiles are random bytes and are not.
		w.Header().Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			if data, err = gzipped(data); err != nil {
				return err
			}
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", immutable)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(data)
	return err
}

// acceptsGzip reports whether the request's Accept-Encoding lists gzip
// without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, coding := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(coding, ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			q, weighted := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			if !weighted {
				return true
			}
			f, err := strconv.ParseFloat(q, 64)
			return err == nil && f > 0
		}
	}
	return false
}

func gzipped(data []byte) ([]byte, error) {
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	if _, err := z.Write(data); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return b.Bytes(), nil
}

// entryBundle encodes the entries of data tile t: each as a big-endian u16
// length and its bytes.
func (s *Server) entryBundle(r *http.Request, t tlog.Tile) ([]byte, error) {
	es, err := s.store.LogEntries(r.Context(), t.N<<tileHeight, t.W)
	if err != nil {
		return nil, fmt.Errorf("entry bundle %d: %w", t.N, err)
	}
	if len(es) != t.W {
		return nil, fmt.Errorf("entry bundle %d: %d entries of %d", t.N, len(es), t.W)
	}
	var out []byte
	for _, e := range es {
		if len(e) > 0xffff {
			return nil, fmt.Errorf("entry bundle %d: an entry of %d bytes", t.N, len(e))
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}
