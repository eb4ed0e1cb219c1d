// Command writeback is the Muster write-back Lambda function. It wires the
// handler from the environment and starts the Lambda runtime loop.
package main

import (
	"github.com/muster-sec/muster/functions/writeback/handler"
	"github.com/muster-sec/muster/shared/lambdamain"
)

func main() {
	lambdamain.Start("writeback", handler.FromEnv, func(h *handler.Handler) any { return h.Handle })
}
