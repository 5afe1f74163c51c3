package main

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

func TestPack(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("bootstrap binary "), 1000)
	a, err := Pack(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Pack(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two packs of the same binary differ: the zip is not reproducible")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("want one file named bootstrap, got %v", zr.File)
	}
	f := zr.File[0]
	if f.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v, want 0755 (Lambda must be able to execute it)", f.Mode())
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, data) {
		t.Error("unpacked content differs from the input")
	}
	c, _ := Pack(append(data, '!'))
	if bytes.Equal(a, c) {
		t.Error("different binaries gave the same zip")
	}
}
