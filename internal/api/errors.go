package api

// Error is the body of every error answer: {"error": {"code", "message"}}.
// Code is stable, for programs; Message is for people.
type Error struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an Error. Its fields are in alphabetical
// order, as the server wrote them from a map.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Status is the body of the operational endpoints /healthz and /readyz.
type Status struct {
	Status string `json:"status"`
}
