package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// BenchmarkCLI_FileToFile runs the two command-line tools as a user would,
// file to file on this machine's disk (the benchmark's temporary directory):
// blindvault encrypt and decrypt against age -r and age -d, on the same 256 MiB
// file, in the same run. Each answer is the whole process: start, keys, read,
// seal or open, write, and the move into place.
func BenchmarkCLI_FileToFile(b *testing.B) {
	dir := b.TempDir()
	// blindvault is built in its own module (the parent directory), age as
	// this module's tool.
	bin := func(name, pkg, moduleDir string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = moduleDir
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
		return out
	}
	bv, ageBin := bin("blindvault", "./cmd/blindvault", ".."), bin("age", "filippo.io/age/cmd/age", ".")
	in := filepath.Join(dir, "input")
	if err := os.WriteFile(in, input, 0o600); err != nil {
		b.Fatal(err)
	}
	// run returns the CPU time (user and system) the process used, so that a
	// run on a busy machine still shows each tool's own work beside the wall time.
	run := func(b *testing.B, name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, msg)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	alice, bobKey, bobCard := filepath.Join(dir, "alice.key"), filepath.Join(dir, "bob.key"), filepath.Join(dir, "bob.card")
	run(b, bv, "keygen", "-o", alice)
	run(b, bv, "keygen", "-o", bobKey)
	card, err := exec.Command(bv, "pubkey", bobKey).Output()
	if err != nil || os.WriteFile(bobCard, card, 0o644) != nil {
		b.Fatalf("pubkey: %v", err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	ageKey := filepath.Join(dir, "age.key")
	if err := os.WriteFile(ageKey, []byte(id.String()+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}

	sealed := map[string]string{"blindvault": filepath.Join(dir, "sealed.bv"), "age": filepath.Join(dir, "sealed.age")}
	seal := map[string][]string{
		"blindvault": {bv, "encrypt", "-i", alice, "-r", bobCard, "-o", sealed["blindvault"], in},
		"age":        {ageBin, "-r", id.Recipient().String(), "-o", sealed["age"], in},
	}
	open := map[string]func(out string) []string{
		"blindvault": func(out string) []string {
			return []string{bv, "decrypt", "-i", bobKey, "-o", out, sealed["blindvault"]}
		},
		"age": func(out string) []string { return []string{ageBin, "-d", "-i", ageKey, "-o", out, sealed["age"]} },
	}
	for _, tool := range []string{"blindvault", "age"} {
		b.Run("seal/"+tool, func(b *testing.B) {
			b.SetBytes(size)
			var cpu time.Duration
			for range b.N {
				os.Remove(sealed[tool])
				cpu += run(b, seal[tool][0], seal[tool][1:]...)
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
	for _, tool := range []string{"blindvault", "age"} {
		b.Run("open/"+tool, func(b *testing.B) {
			b.SetBytes(size)
			out := filepath.Join(dir, "opened."+tool)
			var cpu time.Duration
			for range b.N {
				os.Remove(out)
				args := open[tool](out)
				cpu += run(b, args[0], args[1:]...)
			}
			b.StopTimer()
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			got, err := os.ReadFile(out)
			if err != nil || !bytes.Equal(got, input) {
				b.Fatalf("%s opened %d bytes, %v; want the input", tool, len(got), err)
			}
		})
	}
}
