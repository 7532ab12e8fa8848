// Command benchratio reads `go test -bench` output on stdin, passes it through, and ends with a
// table that puts every throughput (a …/s metric) beside the bare net/http baseline measured in the
// same package and run (the benchmark whose name contains "Bare"). Repeated runs (-count) of a
// benchmark are averaged.
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

type result struct {
	pkg, name, unit string
	rate            float64 // the mean over runs
	runs            int
	p99             string // of the last run
}

func main() {
	var results []result
	pkg := ""
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		line := in.Text()
		fmt.Println(line)
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 2 && fields[0] == "pkg:":
			pkg = fields[1]
		case len(fields) > 2 && strings.HasPrefix(fields[0], "Benchmark"):
			r := result{pkg: pkg, name: strings.TrimPrefix(fields[0], "Benchmark")}
			for i := 2; i+1 < len(fields); i += 2 {
				v, err := strconv.ParseFloat(fields[i], 64)
				if err != nil {
					continue
				}
				switch unit := fields[i+1]; {
				case strings.HasSuffix(unit, "/s"):
					r.rate, r.unit = v, unit
				case unit == "p99-µs":
					r.p99 = fields[i] + " µs"
				}
			}
			if r.unit == "" {
				continue
			}
			if i := slices.IndexFunc(results, func(o result) bool { return o.pkg == r.pkg && o.name == r.name }); i >= 0 {
				o := &results[i]
				o.rate = (o.rate*float64(o.runs) + r.rate) / float64(o.runs+1)
				o.runs++
				o.p99 = r.p99
				continue
			}
			r.runs = 1
			results = append(results, r)
		}
	}
	fmt.Println()
	fmt.Printf("%-60s %14s %10s %12s\n", "benchmark (mean of runs)", "per second", "p99", "vs bare")
	for _, r := range results {
		ratio := "-"
		for _, b := range results {
			if b.pkg == r.pkg && strings.Contains(b.name, "Bare") && b.rate > 0 && sameGroup(b.name, r.name) {
				ratio = fmt.Sprintf("%.2f×", r.rate/b.rate)
			}
		}
		fmt.Printf("%-60s %14.0f %10s %12s\n", shortPkg(r.pkg)+" "+r.name, r.rate, r.p99, ratio)
	}
}

// sameGroup reports whether a Bare baseline belongs to r: a baseline inside sub-benchmarks
// (Scale/scopes=1000/Bare) serves only its siblings; a top-level one the whole package.
func sameGroup(bare, r string) bool {
	i := strings.LastIndex(bare, "/")
	return i < 0 || strings.HasPrefix(r, bare[:i+1])
}

func shortPkg(p string) string { return p[strings.LastIndex(p, "/")+1:] }
