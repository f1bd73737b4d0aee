package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// APIError is an error in OpenAI's shape, with the HTTP status it is sent
// with.
type APIError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`  // invalid_request_error, authentication_error, rate_limit_error, server_error...
	Param   *string `json:"param"` // the request field at fault, or null
	Code    *string `json:"code"`  // a machine-readable code, or null
	Status  int     `json:"-"`
}

func (e *APIError) Error() string { return e.Message }

// Error types and codes.
const (
	typeInvalid  = "invalid_request_error"
	typeAuth     = "authentication_error"
	typeRate     = "rate_limit_error"
	typeServer   = "server_error"
	typeNotFound = "not_found_error"

	codeContextLength = "context_length_exceeded"
	codeModelNotFound = "model_not_found"
	codeTooLarge      = "request_too_large"
	codeQueueFull     = "queue_full"
	codeUnsupported   = "unsupported_parameter"
	codeInvalidValue  = "invalid_value"
	codeShuttingDown  = "shutting_down"
	codeTimeout       = "request_timeout"
	codeMediaType     = "unsupported_media_type"
	codeInvalidKey    = "invalid_api_key"
)

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// invalid is a 400 about param.
func invalid(param, code, format string, args ...any) *APIError {
	return &APIError{Message: fmt.Sprintf(format, args...), Type: typeInvalid, Param: strPtr(param), Code: strPtr(code), Status: http.StatusBadRequest}
}

// writeJSON writes v as the JSON body of a status answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := jsonMarshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"cannot encode the answer","type":"server_error","param":null,"code":null}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers with err as an OpenAI error object; errors that are
// not APIErrors become 500 server errors.
func writeError(w http.ResponseWriter, err error) {
	ae, ok := errors.AsType[*APIError](err)
	if !ok {
		ae = &APIError{Message: err.Error(), Type: typeServer, Status: http.StatusInternalServerError}
	}
	if ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, ae.Status, ErrorBody{Error: *ae})
}

// decodeError turns a JSON decoding failure into a 400 (or a 413 for a body
// past the limit) that names the field when it can.
func decodeError(err error) *APIError {
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &APIError{Message: fmt.Sprintf("the request body is larger than the limit of %d bytes", mbe.Limit),
			Type: typeInvalid, Code: strPtr(codeTooLarge), Status: http.StatusRequestEntityTooLarge}
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
		field := strings.TrimPrefix(te.Field, "samplingParams.")
		return invalid(field, codeInvalidValue, "invalid type for %s: expected %v, got a JSON %s", field, te.Type, te.Value)
	}
	return invalid("", "", "we could not parse the JSON body of your request (%v); send a JSON object with Content-Type: application/json", err)
}

// jsonMarshal encodes v as one line of JSON followed by a newline, with
// <, > and & left as they are (generated text is not HTML); invalid UTF-8
// in strings becomes U+FFFD.
func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
