// healthcheck: the Collector image's HEALTHCHECK. The runtime image (distroless) has no shell,
// curl or wget, so this tiny static program GETs the health_check extension (config.yaml,
// :13133 path /) and exits 0 on HTTP 200, 1 otherwise. Standard library only; built in the
// Dockerfile's build stage with `go build healthcheck/main.go`.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	url := "http://127.0.0.1:13133/"
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	client := http.Client{Timeout: 3 * time.Second}
	res, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "unhealthy:", err)
		os.Exit(1)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "unhealthy: HTTP", res.StatusCode)
		os.Exit(1)
	}
}
