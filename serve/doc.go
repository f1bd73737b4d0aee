// Package serve is align's OpenAI-compatible HTTP API for one checkpoint, so
// that any OpenAI client — curl, the openai Python package, align's own LLM
// judge — can talk to a model align trained.
//
// # Endpoints
//
//	POST /v1/chat/completions   chat with the tokenizer's chat template; stream, logprobs, n, stop, seed
//	POST /v1/completions        plain text continuation of a prompt (string, strings or token ids)
//	GET  /v1/models             the one model served (also GET /v1/models/{id})
//	GET  /metrics               Prometheus text format: requests, tokens, latency, queue, batch size
//	GET  /health                "ok" while the server is up
//
// Requests and answers follow OpenAI's shapes: a chat.completion object with
// choices, message, finish_reason ("stop" or "length") and usage; with
// "stream": true, Server-Sent Events of chat.completion.chunk objects whose
// choices carry a delta, ended by "data: [DONE]"; logprobs as
// {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}; errors
// as {"error": {"message", "type", "param", "code"}} with a fitting HTTP
// status (400 bad request, 401 bad key, 404 unknown model or path, 408 body
// too slow, 413 body too large, 415 body not JSON, 429 queue full, 503
// shutting down). Unknown request fields are
// ignored; known ones that align cannot honour (tools, penalties, logit_bias,
// JSON mode) are refused with a 400 naming the parameter. top_k is accepted
// as an extension, as vLLM and llama.cpp do.
//
// Log-probabilities are those of the model's own distribution,
// log softmax(logits) at temperature 1, whatever temperature the request
// samples at: what model.LogProbs computes, and what a judge reading soft
// labels from top_logprobs wants. A prompt must leave room for at least one
// new token in the context; max_tokens larger than the room left is cut to
// it (finish_reason "length" tells when that happened). Without max_tokens a
// chat completion may fill the context, a text completion gets 16 tokens,
// as in OpenAI's API. Requests with a seed
// are reproducible: every sequence draws from its own generator, so the same
// request gives the same answer whatever else is being decoded alongside.
//
// # Batching
//
// One scheduler goroutine owns the model. It decodes all running sequences
// together with one model.Decoder of Config.MaxBatch slots, one token per
// sequence per step (continuous batching): between steps, new requests take
// free slots and their prompts are prefilled in the same Append as the
// others' next tokens, and finished or abandoned sequences leave at once.
// model.Decoder can only forget all its sequences together (Reset), so the
// slot of a finished sequence is not reusable by itself; when requests are
// waiting and a quarter of the slots are such dead slots, the scheduler
// compacts: it resets the decoder and re-feeds the running sequences (prompt
// and tokens so far) into the first slots, one batched prefill, which is far
// cheaper per token than decoding. When no sequence runs, the decoder is
// simply reset. Requests that find no slot wait in a queue of
// Config.MaxQueue; beyond it they get 429 at once. A client that disconnects
// cancels its sequences before the next step.
//
// Detokenising happens in each request's own goroutine: tokens are turned
// into bytes, stop strings are searched for, and text is released only up to
// the last complete UTF-8 character (and not past a possible beginning of a
// stop string), so a streamed delta never splits a character and the
// concatenated stream equals the non-streamed answer.
//
// # Exposure
//
// Requests to the POST endpoints must be sent as Content-Type:
// application/json: a web page can make a browser post a text/plain or form
// body to any address, this machine's included, without asking the server
// first, but not a JSON one (that needs a CORS preflight, which the server
// does not grant). With Config.APIKey every /v1 endpoint wants
// "Authorization: Bearer <key>" (compared in constant time); /health and
// /metrics stay open. align serve listens on 127.0.0.1 unless told
// otherwise and warns when an address other machines can reach has no key
// (Server.Exposed).
//
// Serve holds every connection to deadlines, so that a client cannot tie
// one up: the headers within Config.ReadHeaderTimeout, the whole request
// within Config.ReadTimeout (a body that stalls gets 408 and the connection
// is closed), and an idle kept-alive connection is closed after
// Config.IdleTimeout. Config.WriteTimeout bounds each write of an answer,
// not the answer: while a request is being generated there is no write
// deadline, so a long generation or stream is never cut, but a client that
// stops reading is cut off once a write has waited that long, and its
// sequences leave the batch.
//
// # Shutdown
//
// Serve stops accepting connections when its context is done, lets requests
// in flight finish (Config.ShutdownTimeout at most), then stops the
// scheduler; align serve does this on SIGINT and SIGTERM.
package serve
