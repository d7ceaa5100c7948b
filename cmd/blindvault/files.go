package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/term"
)

// pendingFile is an output that appears under its final name only on Commit, so a
// failed check never leaves a partial or unverified file behind.
//
// Durability is chosen per output (docs/decisions.md): a durable file (a key,
// an export's index) is fsynced before it takes its name, so a crash leaves
// either nothing or the whole file; any other output (an encrypted file whose
// plaintext still exists, a decrypted copy of a ciphertext that still exists)
// is renamed without an fsync, as age and cp do, and after a crash may be
// empty or cut short, which its next reader detects: a record file fails its
// checks, and the source to write it again is still there.
type pendingFile struct {
	*os.File
	final   string
	durable bool
}

// createPending creates a hidden temporary file beside path.
func createPending(path string, perm os.FileMode, durable bool) (*pendingFile, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s already exists; not overwriting it", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &pendingFile{File: f, final: path, durable: durable}, nil
}

// Commit moves the file into place, after an fsync if it is durable.
func (p *pendingFile) Commit() error {
	if p.durable {
		if err := p.Sync(); err != nil {
			p.Abort()
			return err
		}
	}
	if err := p.Close(); err != nil {
		os.Remove(p.Name())
		return err
	}
	return os.Rename(p.Name(), p.final)
}

// Abort removes the temporary file; it is safe after Commit.
func (p *pendingFile) Abort() {
	p.Close()
	os.Remove(p.Name())
}

// openInput returns the named file, or stdin for "" and "-", and its size if known.
func openInput(name string) (io.ReadCloser, int64, error) {
	if name == "" || name == "-" {
		return io.NopCloser(os.Stdin), -1, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return f, -1, nil
	}
	return f, st.Size(), nil
}

// readSmallFile reads a key or card file, refusing anything implausibly large.
func readSmallFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const limit = 1 << 20
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
	}
	return b, nil
}

var errNoPassphrase = errors.New("a passphrase is needed: use --passphrase-file, or run on a terminal to be asked")

// passphraseSource reads the passphrase from a file (first line) or, on a terminal,
// asks for it without echo.
func passphraseSource(file, prompt string) func() ([]byte, error) {
	return func() ([]byte, error) {
		if file != "" {
			b, err := readSmallFile(file)
			if err != nil {
				return nil, fmt.Errorf("passphrase file: %w", err)
			}
			line, _, _ := bytes.Cut(b, []byte("\n"))
			return bytes.TrimSuffix(line, []byte("\r")), nil
		}
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil || !term.IsTerminal(int(tty.Fd())) {
			return nil, errNoPassphrase
		}
		defer tty.Close()
		fmt.Fprint(tty, prompt)
		pass, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return pass, err
	}
}

// confirmPassphrase asks twice on a terminal; a file is read once.
func confirmPassphrase(file string) ([]byte, error) {
	pass, err := passphraseSource(file, "Passphrase: ")()
	if err != nil || file != "" {
		return pass, err
	}
	again, err := passphraseSource("", "Passphrase again: ")()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(pass, again) {
		return nil, errors.New("the passphrases do not match")
	}
	return pass, nil
}

// stdoutIsTerminal guards against spraying binary ciphertext onto a terminal.
func stdoutIsTerminal() bool { return term.IsTerminal(int(os.Stdout.Fd())) }

func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }
