package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// scan walks a JSON document token by token, without building it, and
// refuses it if it nests deeper than lim.MaxDepth, holds a string or number
// longer than lim.MaxString (lim.MaxData for the value of a "data" key), is
// not one value, or is not JSON. Only then is it decoded.
func scan(data []byte, lim Limits) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	// Per open container: is it an object, and is the next string a key?
	type frame struct{ object, wantKey bool }
	var stack []frame
	key := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			// Reached only before the first value: a value that ends
			// returns below.
			return fmt.Errorf("%w: no JSON value", ErrMalformed)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= lim.MaxDepth {
					return fmt.Errorf("%w: JSON nested deeper than %d", ErrTooLarge, lim.MaxDepth)
				}
				stack = append(stack, frame{object: t == '{', wantKey: t == '{'})
				continue
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		case string:
			limit := lim.MaxString
			if !isKey && key == "data" {
				limit = lim.MaxData
			}
			if len(t) > limit {
				what := "string"
				if isKey {
					what = "key"
				}
				return fmt.Errorf("%w: a %s of %d bytes (limit %d)", ErrTooLarge, what, len(t), limit)
			}
			if isKey {
				key = t
				stack[len(stack)-1].wantKey = false
				continue
			}
		case json.Number:
			if len(t) > lim.MaxString {
				return fmt.Errorf("%w: a number of %d digits", ErrTooLarge, len(t))
			}
		}
		// A value ended: the enclosing object wants a key next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
		if len(stack) == 0 {
			if _, err := d.Token(); err != io.EOF {
				if err == nil {
					err = errors.New("more than one JSON value")
				}
				return fmt.Errorf("%w: %w", ErrMalformed, err)
			}
			return nil
		}
	}
}
