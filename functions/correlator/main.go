// Command correlator is the Muster correlator Lambda function. It wires the handler from
// the environment and starts the Lambda runtime loop.
package main

import (
	"github.com/muster-sec/muster/functions/correlator/handler"
	"github.com/muster-sec/muster/shared/lambdamain"
)

func main() {
	lambdamain.Start("correlator", handler.FromEnv, func(h *handler.Handler) any { return h.Handle })
}
