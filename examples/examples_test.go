// Package examples_test builds each example program and runs it to completion
// against its own in-process server.
package examples_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var examples = []struct {
	name string
	want []string // lines or fragments the output must contain
}{
	{"webservice", []string{
		"GET /notes as alice → 200 OK",
		`"text":"Ibuprofen made the migraine worse; try sumatriptan next time"`,
		"as bob → 404 Not Found",
		"OK: no note text or title is stored in the clear",
	}},
	{"sharing", []string{
		"shared with dr-jones: verified clinician of Example Clinic",
		"errors.Is(err, sdk.ErrRevoked) = true",
		"OK: shared, read, revoked",
	}},
	{"labservice", []string{
		"city-lab registered as a service account",
		"author city-lab (verified: true)",
		"OK: the lab result is in the patient's record",
	}},
	{"jointcredential", []string{
		"platform alone: errors.Is(err, sdk.ErrNotFound) = true",
		"OK: the credential opens only with both shares",
	}},
}

func TestExamples(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	// One go build for all of them: with -o naming a directory, each main
	// package becomes a binary of its directory's name there. A cold build
	// cache takes most of a minute; a warm one, seconds.
	buildCtx, cancelBuild := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancelBuild()
	bin := t.TempDir()
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, ex := range examples {
		args = append(args, "./"+ex.name)
	}
	if out, err := exec.CommandContext(buildCtx, goTool, args...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}

	// The programs run in parallel, each against its own server.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel) // not defer: the parallel subtests run after this function returns
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, ex.name))
			cmd.Env = append(cmd.Environ(), "TMPDIR="+t.TempDir()) // its server's files, removed by the test too
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", ex.name, err, out)
			}
			for _, w := range ex.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("%s: output lacks %q:\n%s", ex.name, w, out)
				}
			}
		})
	}
}
