package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

func health(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	u := fs.String("url", "http://127.0.0.1:8081/readyz", "admin readiness URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(*u)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s", resp.Status)
	}
	fmt.Fprintln(out, "ready")
	return nil
}
