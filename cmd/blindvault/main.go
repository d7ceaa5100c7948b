// Command blindvault encrypts, shares and stores records so that the server that
// holds them cannot read them. Run "blindvault help" for the commands.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "blindvault: under construction")
	os.Exit(2)
}
