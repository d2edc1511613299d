package ops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hookrunner/hookrunner/config"
)

// DefaultHealthURL is the readiness URL of the default admin listener.
const DefaultHealthURL = "http://127.0.0.1:8081/readyz"

// HealthURL is the readiness URL of the admin listener that the config at
// configPath names (its admin.listen, on 127.0.0.1 when it listens on
// every address). With configPath "" it reads ./hooks.yaml, and when that
// does not exist it is DefaultHealthURL.
func HealthURL(configPath string) (string, error) {
	explicit := configPath != ""
	if !explicit {
		configPath = "hooks.yaml"
		if _, err := os.Stat(configPath); errors.Is(err, fs.ErrNotExist) {
			return DefaultHealthURL, nil
		}
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		return "", err
	}
	return readyURL(cfg.Admin.Listen)
}

func readyURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("admin.listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}

// Health asks url (a /readyz) whether the server is ready: nil when it
// answers 200.
func Health(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s: %s", url, resp.Status)
	}
	return nil
}
