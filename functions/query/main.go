// Command query is the Muster query Lambda function. It wires the handler from
// the environment and starts the Lambda runtime loop.
package main

import (
	"github.com/muster-sec/muster/functions/query/handler"
	"github.com/muster-sec/muster/shared/lambdamain"
)

func main() {
	lambdamain.Start("query", handler.FromEnv, func(h *handler.Handler) any { return h.ServeAPI })
}
