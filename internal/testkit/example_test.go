package testkit_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/blindvault/blindvault/internal/testkit"
)

// A kit file is a text header, an empty line, then the record file.
func ExampleParse() {
	data, err := os.ReadFile(filepath.Join(kitDir, "grant_open_ct"))
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := testkit.Parse("grant_open_ct", data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Expect, v.Identity, string(v.File[1:4]))
	// Output: grant-open bob BVR
}
