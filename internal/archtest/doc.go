// Package archtest holds the test that keeps the layout of ARCHITECTURE.md
// true: which package may import which, and how large files and the engine
// may grow. It has no code of its own.
package archtest
