// Package examples holds runnable example configs (one directory each) and
// the tests that run them. The sample payloads `hookrunner send` posts live
// with their providers (providers/builtin/samples, providers.Sample).
package examples
