// Command blindvault.wasm is Blindvault's client for browsers: the SDK's
// keys, HPKE, signatures, formats and checks of everything the server says,
// compiled to WebAssembly, behind the Promise API of blindvault.mjs.
// Record bodies are sealed and opened by WebCrypto in JavaScript; only their
// per-body keys and leaf lists pass through here (sdk.PutSealed and
// sdk.GetEncrypted). See wasm/README.md.
package main

import (
	"os"
	"syscall/js"
)

// main hands the API to the callback that blindvault.mjs named in argv[1]
// and then serves calls until the page goes away.
func main() {
	if len(os.Args) < 2 {
		js.Global().Get("console").Call("error", "blindvault.wasm: load it through blindvault.mjs")
		return
	}
	api := lowLevelAPI()
	api["connect"] = method(connect)
	api["version"] = "1"
	js.Global().Get(os.Args[1]).Invoke(js.ValueOf(api))
	select {}
}
