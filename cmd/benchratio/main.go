// Command benchratio reads `go test -bench` output on stdin, passes it through, and ends with a
// table that puts every throughput (a …/s metric) beside the bare net/http baseline measured in the
// same package and run: the benchmark whose name contains "Bare" and, without it, is the longest
// prefix of the benchmark's name (HTTPBare for HTTPCheck, HTTPForwardAuthBare for
// HTTPForwardAuth, Loopback/Bare for Loopback/ClientCredentials). Repeated runs (-count) of a
// benchmark are averaged. Then the pairs compared with a goal (see goals), such as refresh grants
// beside client-credentials issuance.
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
	cpu             float64 // CPU µs per request (loadgen's cpu-µs/req), the mean over runs
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
				case unit == "cpu-µs/req":
					r.cpu = v
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
				o.cpu = (o.cpu*float64(o.runs) + r.cpu) / float64(o.runs+1)
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
		ratio, best := "-", -1
		for _, b := range results {
			stem, ok := bareStem(b.name)
			if ok && b.pkg == r.pkg && b.rate > 0 && strings.HasPrefix(r.name, stem) && len(stem) > best {
				ratio, best = fmt.Sprintf("%.2f×", r.rate/b.rate), len(stem)
			}
		}
		fmt.Printf("%-60s %14.0f %10s %12s\n", shortPkg(r.pkg)+" "+r.name, r.rate, r.p99, ratio)
	}
	for _, line := range compare(results) {
		fmt.Println(line)
	}
}

// goals are throughputs compared with another of the same package and run, with the least ratio
// wanted.
var goals = []struct {
	name, base, what string
	least            float64
}{
	{"Loopback/Refresh", "Loopback/ClientCredentials", "refresh grants vs client-credentials issuance", 0.8},
}

// compare returns a line per goal found in results: the ratio, and the CPU time per request.
func compare(results []result) []string {
	var out []string
	for _, g := range goals {
		for _, r := range results {
			if stem(r.name) != g.name {
				continue
			}
			for _, b := range results {
				if b.pkg != r.pkg || stem(b.name) != g.base || b.rate == 0 {
					continue
				}
				verdict := "goal met"
				if r.rate/b.rate < g.least {
					verdict = "goal NOT met"
				}
				line := fmt.Sprintf("%s %s: %.2f× per second (goal ≥ %.2f×: %s)", shortPkg(r.pkg), g.what, r.rate/b.rate, g.least, verdict)
				if r.cpu > 0 && b.cpu > 0 {
					line += fmt.Sprintf("; CPU time per request %.0f µs vs %.0f µs (%.2f×)", r.cpu, b.cpu, r.cpu/b.cpu)
				}
				out = append(out, line)
			}
		}
	}
	return out
}

// stem is a benchmark's name without the -GOMAXPROCS suffix.
func stem(name string) string {
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// bareStem is a baseline's name without "Bare", the -GOMAXPROCS suffix and a trailing slash.
func bareStem(name string) (string, bool) {
	name = stem(name)
	if !strings.Contains(name, "Bare") {
		return "", false
	}
	return strings.TrimSuffix(strings.Replace(name, "Bare", "", 1), "/"), true
}

func shortPkg(p string) string { return p[strings.LastIndex(p, "/")+1:] }
