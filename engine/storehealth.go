package engine

import (
	"context"
	"time"
)

// StoreWritable is the last known answer to "does a durable write work":
// nil when it does. The ingress refuses events (503) while it is not nil,
// so nothing is acknowledged that the store cannot keep.
func (e *Engine) StoreWritable() error {
	if p := e.storeErr.Load(); p != nil {
		return *p
	}
	return nil
}

// CheckStore asks the store now (a probe write when it has been idle),
// records the answer for StoreWritable and the metric, and logs each
// change once, loudly when writes stop working.
func (e *Engine) CheckStore(ctx context.Context) error {
	err := e.st.Writable(ctx)
	if ctx.Err() != nil && err != nil {
		return err // our caller gave up; that says nothing of the store
	}
	var prev error
	if err != nil {
		if p := e.storeErr.Swap(&err); p != nil {
			prev = *p
		}
	} else if p := e.storeErr.Swap(nil); p != nil {
		prev = *p
	}
	switch {
	case err != nil && prev == nil:
		e.metrics.StoreWritable.Set(0)
		e.metrics.StoreFaults.Inc()
		e.log.Error("STORE NOT WRITABLE: refusing webhooks with 503 until durable writes work again", "error", err)
		e.alertStore(err)
	case err == nil && prev != nil:
		e.metrics.StoreWritable.Set(1)
		e.log.Info("store writable again: accepting webhooks", "was", prev)
	}
	return err
}

// watchStore checks the store every interval until ctx ends.
func (e *Engine) watchStore(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, every*4)
		_ = e.CheckStore(cctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
