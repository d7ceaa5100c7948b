package sdk

// SummaryData is the gathering ExportSummary prints (and the browser build
// hands to pdf.wasm), for the tests of package sdk_test.
var SummaryData = (*Client).summaryData
