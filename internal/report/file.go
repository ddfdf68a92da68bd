package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile renders the page to path atomically (a temporary file in the
// same directory, renamed over it), so a web server publishing the file
// never serves half a page. The file is readable by all (0644): it is
// meant to be published.
func WriteFile(path string, p Portfolio) error {
	var b bytes.Buffer
	if err := Render(&b, p); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the portfolio page: %w", err)
	}
	f, err := os.CreateTemp(dir, ".portfolio-*.tmp")
	if err != nil {
		return fmt.Errorf("writing the portfolio page: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("writing the portfolio page %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("writing the portfolio page %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the portfolio page %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing the portfolio page %s: %w", path, err)
	}
	return nil
}
