package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writePlots draws the report's PNG plots into dir and returns their
// file names.
func (r *Report) writePlots(dir string) ([]string, error) {
	var out []string
	if r.K > 0 && r.Overall.Tasks > 0 {
		if err := r.passPlot(filepath.Join(dir, PassPlot)); err != nil {
			return nil, err
		}
		out = append(out, PassPlot)
	}
	if len(r.ByLength) > 0 {
		if err := r.lengthPlot(filepath.Join(dir, LengthPlot)); err != nil {
			return nil, err
		}
		out = append(out, LengthPlot)
	}
	return out, nil
}

// passPlot draws pass^k against k, one line per domain and one, thick,
// overall; the legend sits right of the axes so no line hides behind it.
func (r *Report) passPlot(path string) error {
	p := plot.New()
	p.Title.Text = "pass^k by domain: " + r.Policy
	p.X.Label.Text = "k (trials that must all succeed)"
	p.Y.Label.Text = "pass^k"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Min, p.X.Max = 0.8, float64(r.K)+0.2
	var ticks []plot.Tick
	for k := 1; k <= r.K; k++ {
		ticks = append(ticks, plot.Tick{Value: float64(k), Label: strconv.Itoa(k)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	add := func(i int, g Group, overall bool) error {
		pts := make(plotter.XYs, 0, len(g.PassHatK))
		for k, iv := range g.PassHatK {
			if !math.IsNaN(iv.Value) {
				pts = append(pts, plotter.XY{X: float64(k + 1), Y: iv.Value})
			}
		}
		if len(pts) == 0 {
			return nil
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		line.Color, points.Color = plotutil.Color(i), plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i / 7)
		points.Shape = plotutil.Shape(i)
		if overall {
			line.Color, points.Color = plotutil.DarkColors[0], plotutil.DarkColors[0]
			line.Width = vg.Points(3)
			line.Dashes = nil
		}
		p.Add(line, points)
		legend.Add(g.Name, line, points)
		return nil
	}
	if err := add(0, r.Overall, true); err != nil {
		return err
	}
	for i, g := range passLines(r.Domains) {
		if err := add(i+1, g, false); err != nil {
			return err
		}
	}
	return savePNG(p, &legend, path, 8*vg.Inch, 4.5*vg.Inch, 2.4*vg.Inch)
}

// passLines returns the domains' pass^k curves to draw, one per group of
// domains whose curves coincide (at the plot's resolution), named by
// them ("3 domains: a, b, c"), so that lines drawn on top of each other
// do not hide behind one with a long legend. The order is the first
// domain's of each group.
func passLines(ds []Group) []Group {
	var out []Group
	names := map[string]int{} // curve -> index in out
	members := [][]string{}
	for _, g := range ds {
		key := ""
		for _, iv := range g.PassHatK {
			key += fmt.Sprintf("%.3f,", iv.Value)
		}
		i, ok := names[key]
		if !ok {
			i = len(out)
			names[key] = i
			out = append(out, g)
			members = append(members, nil)
		}
		members[i] = append(members[i], g.Name)
	}
	for i, m := range members {
		if len(m) == 1 {
			continue
		}
		label := strings.Join(m, ", ")
		if len(m) > 4 {
			label = strings.Join(m[:3], ", ") + fmt.Sprintf(", and %d more", len(m)-3)
		}
		out[i].Name = fmt.Sprintf("%d domains: %s", len(m), label)
	}
	return out
}

// lengthPlot draws success by ground-truth length as bars with their
// bootstrap intervals.
func (r *Report) lengthPlot(path string) error {
	p := plot.New()
	p.Title.Text = "Success by task length: " + r.Policy
	p.X.Label.Text = "ground-truth tool calls (tasks)"
	p.Y.Label.Text = "success rate"
	p.Y.Min, p.Y.Max = 0, 1.02
	vals := make(plotter.Values, len(r.ByLength))
	errs := make(errorBars, len(r.ByLength))
	labels := make([]string, len(r.ByLength))
	for i, g := range r.ByLength {
		v := g.Success.Value
		if math.IsNaN(v) {
			v = 0
		}
		vals[i] = v
		errs[i] = [3]float64{v, g.Success.Low, g.Success.High}
		labels[i] = fmt.Sprintf("%d (%d)", g.Length, g.Tasks)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	bars.Color = plotutil.Color(1)
	bars.LineStyle.Width = 0
	eb, err := plotter.NewYErrorBars(errs)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	p.Add(plotter.NewGrid(), bars, eb)
	p.NominalX(labels...)
	return savePNG(p, nil, path, 6*vg.Inch, 4*vg.Inch, 0)
}

// errorBars holds (value, low, high) per bar, at x = 0, 1, ...
type errorBars [][3]float64

func (e errorBars) Len() int                    { return len(e) }
func (e errorBars) XY(i int) (float64, float64) { return float64(i), e[i][0] }
func (e errorBars) YError(i int) (float64, float64) {
	lo, hi := e[i][0]-e[i][1], e[i][2]-e[i][0]
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return 0, 0
	}
	return lo, hi
}

// savePNG draws the plot, and a legend in a column of the given width
// on its right, into a PNG file.
func savePNG(p *plot.Plot, legend *plot.Legend, path string, w, h, legendW vg.Length) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	if legend == nil {
		legendW = 0
	}
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	if legend != nil {
		legend.Top, legend.Left = true, true
		legend.Draw(draw.Crop(dc, w-legendW+vg.Points(6), 0, 0, -vg.Points(30)))
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}
