package s3blob

import (
	"context"
	"errors"
	"fmt"
	"net"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/blindvault/blindvault/server/store/blob"
)

// failed wraps err from an S3 call as op, adding blob.ErrUnavailable when the
// service could not be reached or answered with a 5xx status once the SDK's
// own retries were spent: the caller may try again later.
func failed(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("%s: %w: %w", op, blob.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func unavailable(err error) bool {
	var send *smithyhttp.RequestSendError
	var status interface{ HTTPStatusCode() int }
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false // the caller gave up
	case errors.As(err, &send), errors.As(err, &ne):
		return true
	case errors.As(err, &status):
		return status.HTTPStatusCode() >= 500
	}
	return false
}
