// Package s3blob keeps record bodies in an S3-compatible bucket (AWS S3,
// versitygw, MinIO, Ceph RGW…) through aws-sdk-go-v2, with path-style
// addressing and a custom endpoint.
//
// A body of up to PartSize bytes is one PutObject; a larger one is a
// multipart upload of PartSize parts, completed only once the whole body has
// arrived and aborted on any error, so a cut-off upload never becomes a
// visible object. An upload whose process died leaves parts that are not an
// object either; List aborts such uploads once they are old enough.
package s3blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/blindvault/blindvault/server/store/blob"
)

var _ blob.Store = (*Store)(nil)

// DefaultPartSize is the part size of multipart uploads, and the largest
// body sent as one PutObject.
const DefaultPartSize = 8 << 20

// Store is a bucket, or a prefix of one.
type Store struct {
	client   *s3.Client
	bucket   string
	prefix   string
	partSize int
}

// Config names a bucket and how to reach it.
type Config struct {
	Bucket   string
	Prefix   string // prepended to every key, such as "bodies/"
	Endpoint string // such as http://127.0.0.1:7070; empty for AWS
	Region   string // default us-east-1
	// Access and Secret are the credentials; empty means
	// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment.
	Access, Secret string
	PartSize       int // default DefaultPartSize; at least 5 MiB
}

// ParseURL reads s3://[ACCESS:SECRET@]BUCKET[/PREFIX]?endpoint=URL&region=R.
// Credentials in the URL are meant for tests; give them to a server through
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead, which keeps them out
// of process listings.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("blobs url: %w", err)
	}
	if u.Scheme != "s3" || u.Host == "" {
		return Config{}, errors.New("blobs url: want s3://BUCKET[/PREFIX]?endpoint=URL")
	}
	c := Config{Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/"), Endpoint: u.Query().Get("endpoint"), Region: u.Query().Get("region")}
	if c.Prefix != "" && !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if u.User != nil {
		c.Access = u.User.Username()
		c.Secret, _ = u.User.Password()
	}
	return c, nil
}

// New returns the store of c. It does not contact the server.
func New(c Config) (*Store, error) {
	if c.Bucket == "" {
		return nil, errors.New("s3: no bucket")
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Access == "" {
		c.Access, c.Secret = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	}
	if c.Access == "" || c.Secret == "" {
		return nil, errors.New("s3: no credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
	}
	if c.PartSize <= 0 {
		c.PartSize = DefaultPartSize
	}
	if c.PartSize < 5<<20 {
		return nil, fmt.Errorf("s3: part size %d is below S3's 5 MiB minimum", c.PartSize)
	}
	opts := s3.Options{
		Region:       c.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(c.Access, c.Secret, ""),
		// Bodies are ciphertext that the reader checks chunk by chunk
		// against signed hashes; S3's own checksums are only asked for
		// where the API requires them.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if c.Endpoint != "" {
		opts.BaseEndpoint = aws.String(c.Endpoint)
	}
	return &Store{client: s3.New(opts), bucket: c.Bucket, prefix: c.Prefix, partSize: c.PartSize}, nil
}

func (s *Store) key(k string) *string { return aws.String(s.prefix + k) }

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	buf := make([]byte, s.partSize)
	n, eof, err := fill(r, buf)
	if err != nil {
		return 0, err
	}
	if eof {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: s.key(key), Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return 0, failed("s3 put", err)
		}
		return int64(n), nil
	}
	return s.putMultipart(ctx, key, buf, n, r)
}

// fill reads until buf is full or r ends.
func fill(r io.Reader, buf []byte) (int, bool, error) {
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return n, true, nil
	case err != nil:
		return 0, false, err
	}
	return n, false, nil
}

func (s *Store) putMultipart(ctx context.Context, key string, buf []byte, n int, r io.Reader) (total int64, err error) {
	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: s.key(key)})
	if err != nil {
		return 0, failed("s3 create multipart upload", err)
	}
	defer func() {
		if err != nil {
			// Without the caller's context: a cancelled upload is aborted too.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket), Key: s.key(key), UploadId: up.UploadId})
		}
	}()
	var parts []types.CompletedPart
	// buf holds n bytes of a full part; the reader may end at its edge.
	for num := int32(1); n > 0; num++ {
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(s.bucket), Key: s.key(key), UploadId: up.UploadId, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return 0, failed(fmt.Sprintf("s3 upload part %d", num), err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		total += int64(n)
		if n < len(buf) {
			break // that was the last, short part
		}
		if n, _, err = fill(r, buf); err != nil {
			return 0, err
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: s.key(key), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return 0, failed("s3 complete multipart upload", err)
	}
	return total, nil
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if length == 0 {
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket), Key: s.key(key), Range: aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)),
	})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, fmt.Errorf("s3 get: %w", blob.ErrNotFound)
		}
		return nil, failed("s3 get", err)
	}
	return &exactReader{rc: out.Body, left: length}, nil
}

// exactReader fails if the object ends before the range does, so that a
// short object is an error and not a short body.
type exactReader struct {
	rc   io.ReadCloser
	left int64
}

func (r *exactReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	if errors.Is(err, io.EOF) {
		if r.left > 0 {
			return n, fmt.Errorf("s3 get: object ended %d bytes early: %w", r.left, io.ErrUnexpectedEOF)
		}
		err = nil
	}
	return n, err
}

func (r *exactReader) Close() error { return r.rc.Close() }

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	for len(keys) > 0 {
		batch := keys[:min(len(keys), 1000)]
		keys = keys[len(batch):]
		objs := make([]types.ObjectIdentifier, len(batch))
		for i, k := range batch {
			objs[i] = types.ObjectIdentifier{Key: s.key(k)}
		}
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(s.bucket), Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)}})
		if err != nil {
			return failed("s3 delete", err)
		}
		for _, e := range out.Errors {
			if aws.ToString(e.Code) != "NoSuchKey" {
				return fmt.Errorf("s3 delete %s: %s", aws.ToString(e.Key), aws.ToString(e.Code))
			}
		}
	}
	return nil
}

// List implements blob.Store.
func (s *Store) List(ctx context.Context, prefix string, olderThan time.Time, fn func(key string, written time.Time) error) error {
	if err := s.abortStale(ctx, prefix, olderThan); err != nil {
		return err
	}
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: s.key(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failed("s3 list", err)
		}
		for _, o := range page.Contents {
			if err := fn(strings.TrimPrefix(aws.ToString(o.Key), s.prefix), aws.ToTime(o.LastModified)); err != nil {
				return err
			}
		}
	}
	return nil
}

// abortStale aborts multipart uploads under prefix started before olderThan.
func (s *Store) abortStale(ctx context.Context, prefix string, olderThan time.Time) error {
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: s.key(prefix)}
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorCode() == "NotImplemented" {
				return nil
			}
			return failed("s3 list multipart uploads", err)
		}
		for _, u := range out.Uploads {
			if aws.ToTime(u.Initiated).Before(olderThan) {
				if _, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket), Key: u.Key, UploadId: u.UploadId}); err != nil {
					return failed("s3 abort multipart upload", err)
				}
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
