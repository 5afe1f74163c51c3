// Command zipper writes a reproducible Lambda zip: one file named bootstrap,
// mode 0755, with a fixed modification time, so the same binary always gives
// the same archive bytes. Usage: zipper -in bootstrap -out bootstrap.zip.
package main

import (
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	in := flag.String("in", "", "the binary to pack")
	out := flag.String("out", "", "the zip to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "zipper:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	if in == "" || out == "" {
		return fmt.Errorf("usage: zipper -in FILE -out FILE.zip")
	}
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	b, err := Pack(data)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// epoch is the fixed file time (the zip format cannot go before 1980).
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Pack zips data as an executable file named bootstrap.
func Pack(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: epoch}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
