package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/blindvault/blindvault/sdk"
)

func runKeygen(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	outPath := fs.String("o", "", "write the identity to this `file` (mode 0600) instead of stdout")
	name := fs.String("name", "", "the `handle` on the key card (default: the file name)")
	passFile := fs.String("passphrase-file", "", "protect the key with the passphrase in this `file`")
	protect := fs.Bool("protect", false, "protect the key with a passphrase asked on the terminal")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	handle := *name
	if handle == "" && *outPath != "" {
		handle = strings.TrimSuffix(filepath.Base(*outPath), filepath.Ext(*outPath))
	}
	if handle == "" {
		return usagef("--name is required when writing to stdout")
	}
	id, err := sdk.NewIdentity(handle)
	if err != nil {
		return err
	}
	text := id.MarshalText()
	if *passFile != "" || *protect {
		pass, err := confirmPassphrase(*passFile)
		if err != nil {
			return err
		}
		if text, err = id.MarshalProtected(pass); err != nil {
			return err
		}
	}
	if *outPath == "" {
		_, err = s.out.Write(text)
	} else {
		err = writeNewFile(*outPath, text, 0o600)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(s.err, "Created identity %q\nFingerprint: %s\n", handle, id.Card().Fingerprint())
	return nil
}

func runPubkey(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("pubkey", flag.ContinueOnError)
	passFile := fs.String("passphrase-file", "", "passphrase `file` for a protected key")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: blindvault pubkey ID.key")
	}
	id, err := loadIdentity(pos[0], *passFile)
	if err != nil {
		return err
	}
	text, _ := id.Card().MarshalText()
	_, err = s.out.Write(text)
	fmt.Fprintf(s.err, "Fingerprint: %s\n", id.Card().Fingerprint())
	return err
}

func runEncrypt(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("encrypt", flag.ContinueOnError)
	idPath := fs.String("i", "", "the author's identity `file` (signs the record)")
	var recips listFlag
	fs.Var(&recips, "r", "a recipient's key card `file` (repeatable)")
	outPath := fs.String("o", "", "output `file` (default stdout)")
	passFile := fs.String("passphrase-file", "", "passphrase `file` for a protected identity")
	title := fs.String("title", "", "record title (encrypted)")
	typ := fs.String("type", "", "record type, a FHIR resource or MIME type (encrypted)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *idPath == "" || len(pos) > 1 {
		return usagef("usage: blindvault encrypt -i AUTHOR.key -r CARD [-r CARD…] [-o OUT] [IN]")
	}
	id, err := loadIdentity(*idPath, *passFile)
	if err != nil {
		return err
	}
	var cards []*sdk.KeyCard
	for _, r := range recips {
		c, err := loadCard(r)
		if err != nil {
			return err
		}
		cards = append(cards, c)
	}
	in, size, err := openInput(first(pos))
	if err != nil {
		return err
	}
	defer in.Close()
	if *outPath == "" && stdoutIsTerminal() {
		return usagef("refusing to write binary ciphertext to a terminal: use -o or redirect")
	}
	dst, commit, abort, err := output(*outPath, s.out, 0o644)
	if err != nil {
		return err
	}
	bar := startProgress("encrypting", size)
	err = sdk.Encrypt(ctx, dst, bar.Reader(in), id, cards, &sdk.EncryptOptions{Title: *title, Type: *typ, Size: max(size, 0)})
	bar.Stop()
	if err != nil {
		abort()
		return err
	}
	return commit()
}

func runDecrypt(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("decrypt", flag.ContinueOnError)
	idPath := fs.String("i", "", "your identity `file`")
	signer := fs.String("signer", "", "require that the author be this key card `file`")
	outPath := fs.String("o", "", "output `file`, created only after every check passed (default stdout)")
	passFile := fs.String("passphrase-file", "", "passphrase `file` for a protected identity")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *idPath == "" || len(pos) > 1 {
		return usagef("usage: blindvault decrypt -i ID.key [--signer CARD] [-o OUT] [IN]")
	}
	id, err := loadIdentity(*idPath, *passFile)
	if err != nil {
		return err
	}
	opts := &sdk.DecryptOptions{}
	if *signer != "" {
		if opts.Signer, err = loadCard(*signer); err != nil {
			return err
		}
	}
	in, size, err := openInput(first(pos))
	if err != nil {
		return err
	}
	defer in.Close()
	dst, commit, abort, err := output(*outPath, s.out, 0o600)
	if err != nil {
		return err
	}
	bar := startProgress("decrypting", size)
	info, err := sdk.Decrypt(ctx, dst, bar.Reader(in), id, opts)
	bar.Stop()
	if err != nil {
		abort()
		return err
	}
	if err := commit(); err != nil {
		return err
	}
	a := info.Author
	if info.AuthorVerified {
		fmt.Fprintf(s.err, "Verified author: %s (%s)\n", a.Handle(), a.Fingerprint())
	} else {
		fmt.Fprintf(s.err, "Author: %s (%s)\nWarning: the author is not verified. Compare the fingerprint, or pass --signer CARD.\n", a.Handle(), a.Fingerprint())
	}
	return nil
}

func runInspect(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("usage: blindvault inspect FILE")
	}
	in, _, err := openInput(first(pos))
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := sdk.Inspect(in)
	if err != nil {
		return err
	}
	return printJSON(s.out, fi)
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// output returns where to write: stdout, or a pending file that appears under its
// name only on commit. Outputs written here can be written again from their
// source, so they are not fsynced (pendingFile).
func output(path string, stdout io.Writer, perm os.FileMode) (io.Writer, func() error, func(), error) {
	if path == "" || path == "-" {
		return stdout, func() error { return nil }, func() {}, nil
	}
	p, err := createPending(path, perm, false)
	if err != nil {
		return nil, nil, nil, err
	}
	return p, p.Commit, p.Abort, nil
}

// writeNewFile writes a file that must survive a crash once written (a key,
// an export's index): fsynced before it takes its name.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	p, err := createPending(path, perm, true)
	if err != nil {
		return err
	}
	if _, err := p.Write(data); err != nil {
		p.Abort()
		return err
	}
	return p.Commit()
}

func loadIdentity(path, passFile string) (*sdk.Identity, error) {
	text, err := readSmallFile(path)
	if err != nil {
		return nil, err
	}
	id, err := sdk.ParseIdentity(text, passphraseSource(passFile, "Passphrase for "+path+": "))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return id, nil
}

func loadCard(path string) (*sdk.KeyCard, error) {
	b, err := readSmallFile(path)
	if err != nil {
		return nil, err
	}
	c, err := sdk.ParseKeyCard(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
