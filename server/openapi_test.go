package server

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// specRoutes reads "METHOD /path" pairs from the OpenAPI document: path keys are
// indented two spaces under "paths:", operations four.
func specRoutes(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../docs/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pathRe := regexp.MustCompile(`^  (/\S*):\s*$`)
	opRe := regexp.MustCompile(`^    (get|put|post|delete|patch|head):\s*$`)
	var out []string
	var cur string
	inPaths := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			inPaths = true
		case inPaths && len(line) > 0 && line[0] != ' ' && line[0] != '#':
			inPaths = false
		case inPaths && pathRe.MatchString(line):
			cur = pathRe.FindStringSubmatch(line)[1]
		case inPaths && cur != "" && opRe.MatchString(line):
			out = append(out, strings.ToUpper(opRe.FindStringSubmatch(line)[1])+" "+cur)
		}
	}
	slices.Sort(out)
	return out
}

// codeRoutes lists "METHOD /path" for every route the router serves, with mux
// patterns such as {id:[0-9a-f]{64}} reduced to {id} as in the spec.
func codeRoutes(t *testing.T, s *Server) []string {
	t.Helper()
	pattern := regexp.MustCompile(`\{([a-z_]+):(?:[^{}]|\{[^{}]*\})*\}`)
	var out []string
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a subrouter prefix, not an endpoint
		}
		tmpl = pattern.ReplaceAllString(tmpl, "{$1}")
		for _, m := range methods {
			out = append(out, m+" "+tmpl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestOpenAPI_RoutesMatchCode(t *testing.T) {
	ts := newTestServer(t, Config{})
	code, spec := codeRoutes(t, ts.Server), specRoutes(t)
	for _, r := range code {
		if !slices.Contains(spec, r) {
			t.Errorf("route %s is served but not in docs/api/openapi.yaml", r)
		}
	}
	for _, r := range spec {
		if !slices.Contains(code, r) {
			t.Errorf("route %s is in docs/api/openapi.yaml but not served", r)
		}
	}
	if len(code) < 3 {
		t.Fatalf("only %d routes found: %v", len(code), code)
	}
}
