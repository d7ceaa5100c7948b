package testenv_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/blindvault/blindvault/internal/testenv"
)

func TestS3_PutGet(t *testing.T) {
	srv := testenv.StartS3(t)
	bucket := srv.NewBucket(t)
	c := srv.Client()
	ctx := context.Background()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b"), Body: bytes.NewReader([]byte("hello"))}); err != nil {
		t.Fatalf("PutObject() = %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("a/b")})
	if err != nil {
		t.Fatalf("GetObject() = %v", err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "hello" {
		t.Fatalf("GetObject() = %q, want hello", b)
	}
}
