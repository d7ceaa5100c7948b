package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// VersityVersion is the versitygw release the tests run (.ci/deps installs it).
const VersityVersion = "v1.8.0"

// S3 is a versitygw server over a temporary directory (its posix backend),
// on a loopback port, with one root user.
type S3 struct {
	Endpoint       string // http://127.0.0.1:PORT
	Access, Secret string
	cmd            *exec.Cmd
	buckets        atomic.Int64
	dir            string
	out            bytes.Buffer
	exitDone       chan struct{}
}

// versitygwPath finds the binary on PATH or in GOPATH/bin.
func versitygwPath() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("versitygw is not on PATH and go env GOPATH failed: %w", err)
	}
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("versitygw is not installed (go install github.com/versity/versitygw/cmd/versitygw@%s)", VersityVersion)
	}
	return p, nil
}

// StartS3 starts versitygw; t's cleanup stops it and deletes its directory.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	bin, err := versitygwPath()
	if err != nil {
		unavailable(t, "s3: %v", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("s3: %v", err)
	}
	s := &S3{dir: t.TempDir(), Access: "bvtest" + randHex(6), Secret: randHex(20)}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s.Endpoint = "http://" + addr
	s.cmd = exec.Command(bin, "--port", addr, "--access", s.Access, "--secret", s.Secret, "--quiet", "posix", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		unavailable(t, "s3: start versitygw: %v", err)
	}
	s.exitDone = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exitDone) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exitDone
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-s.exitDone:
			unavailable(t, "s3: versitygw exited: %s", s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			unavailable(t, "s3: versitygw did not listen on %s in 20 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Client returns an S3 client of the root user.
func (s *S3) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.Access, s.Secret, ""),
	})
}

// NewBucket creates an empty bucket and returns its name.
func (s *S3) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("bv-test-%d", s.buckets.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// URL returns the s3:// URL of a bucket on this server, credentials in it.
func (s *S3) URL(bucket string) string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {"us-east-1"}}
	return (&url.URL{Scheme: "s3", User: url.UserPassword(s.Access, s.Secret), Host: bucket, RawQuery: q.Encode()}).String()
}

// Stop stops the server at once (kill -9), to test a store whose S3 is gone.
func (s *S3) Stop() {
	s.cmd.Process.Kill()
	<-s.exitDone
}
