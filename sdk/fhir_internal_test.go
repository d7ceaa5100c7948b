//go:build !js

package sdk_test

import (
	"bytes"
	"sort"

	"github.com/blindvault/blindvault/internal/fhir"
)

func sdkParse(bundle []byte) ([]fhir.Entry, error) { return fhir.Parse(bytes.NewReader(bundle), nil) }

func sortStrings(s []string) { sort.Strings(s) }
