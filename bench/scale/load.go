package main

import (
	"log"
	"sync"
	"time"

	"github.com/artigraph/artigraph/bench/workload"
)

// Ingest is what a load measured: single-client and multi-client rates on
// ETL levels (the same kind of work), the whole load's time, and the time
// window of the TimeRangeWave for the time-range query.
type Ingest struct {
	Clients        int       `json:"clients"`
	Versions       int       `json:"versions"`
	Runs           int       `json:"runs"`
	Seconds        float64   `json:"seconds"`
	OneClientPerS  float64   `json:"one_client_versions_per_s"`
	ManyClientPerS float64   `json:"many_clients_versions_per_s"`
	WindowStart    time.Time `json:"window_start"`
	WindowEnd      time.Time `json:"window_end"`
}

// wavePool logs one wave's units with n clients.
type wavePool struct {
	units chan workload.Unit
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
}

func newWavePool(n int, logUnit func(workload.Unit) error) *wavePool {
	p := &wavePool{units: make(chan workload.Unit, 4*n)}
	for i := 0; i < n; i++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for u := range p.units {
				if err := logUnit(u); err != nil {
					p.mu.Lock()
					p.err = err
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

// wait ends the wave: every unit is logged when it returns.
func (p *wavePool) wait() error {
	close(p.units)
	p.wg.Wait()
	return p.err
}

// load streams the workload into logUnit, wave after wave (a wave starts
// once the previous one is logged, since it reads what that one wrote).
func load(s workload.Spec, clients int, logUnit func(workload.Unit) error) (Ingest, error) {
	l := &waveLoad{s: s, clients: clients, logUnit: logUnit, wave: -1, in: Ingest{Clients: clients}}
	start := time.Now()
	err := s.Generate(l.add)
	if err == nil {
		err = l.endWave()
	}
	l.in.Seconds = time.Since(start).Seconds()
	l.in.OneClientPerS, l.in.ManyClientPerS = rate(l.oneVersions, l.oneTime), rate(l.manyVersions, l.manyTime)
	return l.in, err
}

// waveLoad follows a load wave by wave.
type waveLoad struct {
	s       workload.Spec
	clients int
	logUnit func(workload.Unit) error
	in      Ingest

	pool                      *wavePool // the current wave's
	wave, versions            int
	stage                     string
	start                     time.Time
	oneVersions, manyVersions int
	oneTime, manyTime         time.Duration
}

func (l *waveLoad) add(u workload.Unit) error {
	if u.Wave != l.wave {
		if err := l.endWave(); err != nil {
			return err
		}
		n := l.clients
		if u.Wave == l.s.SingleClientWave() {
			n = 1
		}
		l.wave, l.stage, l.start, l.versions, l.pool = u.Wave, u.Stage, time.Now(), 0, newWavePool(n, l.logUnit)
	}
	l.versions += len(u.Versions)
	l.in.Versions += len(u.Versions)
	if u.Run != nil {
		l.in.Runs++
	}
	l.pool.units <- u
	return nil
}

// endWave waits for the current wave and books its time.
func (l *waveLoad) endWave() error {
	if l.pool == nil {
		return nil
	}
	err := l.pool.wait()
	d := time.Since(l.start)
	if l.versions >= 1000 { // the chain's one-run waves are not worth a line
		log.Printf("  wave %d (%s): %d versions in %.1fs", l.wave, l.stage, l.versions, d.Seconds())
	}
	switch {
	case l.wave == l.s.SingleClientWave():
		l.oneVersions, l.oneTime = l.oneVersions+l.versions, l.oneTime+d
	case l.s.ETLWave(l.wave):
		l.manyVersions, l.manyTime = l.manyVersions+l.versions, l.manyTime+d
	}
	if l.wave == l.s.TimeRangeWave() {
		l.in.WindowStart, l.in.WindowEnd = l.start.UTC(), time.Now().UTC()
	}
	return err
}

// rate is n a second over d; 0 when nothing was timed (JSON has no NaN).
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
