package tensor

import "math"

// AttentionForward computes causal multi-head self-attention. qkv is (B,T,3C)
// holding queries, keys and values side by side; out is (B,T,C). att
// (B,NH,T,T) receives the post-softmax attention weights, kept for backward
// (entries above the diagonal are zero).
func AttentionForward(out, att, qkv []float32, b, t, c, nh int) {
	hs := c / nh
	scale := float32(1 / math.Sqrt(float64(hs)))
	for bi := 0; bi < b; bi++ {
		for h := 0; h < nh; h++ {
			for i := 0; i < t; i++ {
				q := qkv[(bi*t+i)*3*c+h*hs:][:hs]
				row := att[((bi*nh+h)*t+i)*t:][:t]
				mx := float32(math.Inf(-1))
				for j := 0; j <= i; j++ {
					k := qkv[(bi*t+j)*3*c+c+h*hs:][:hs]
					v := Dot(q, k) * scale
					row[j] = v
					if v > mx {
						mx = v
					}
				}
				var s float32
				for j := 0; j <= i; j++ {
					e := float32(math.Exp(float64(row[j] - mx)))
					row[j] = e
					s += e
				}
				inv := 1 / s
				for j := 0; j <= i; j++ {
					row[j] *= inv
				}
				for j := i + 1; j < t; j++ {
					row[j] = 0
				}
				o := out[(bi*t+i)*c+h*hs:][:hs]
				for d := range o {
					o[d] = 0
				}
				for j := 0; j <= i; j++ {
					v := qkv[(bi*t+j)*3*c+2*c+h*hs:][:hs]
					Axpy(row[j], v, o)
				}
			}
		}
	}
}

// AttentionBackward accumulates into dqkv (B,T,3C) the gradient of
// AttentionForward given dout (B,T,C), using the saved att. scratch must hold
// at least T floats.
func AttentionBackward(dqkv, dout, qkv, att, scratch []float32, b, t, c, nh int) {
	hs := c / nh
	scale := float32(1 / math.Sqrt(float64(hs)))
	datt := scratch[:t]
	for bi := 0; bi < b; bi++ {
		for h := 0; h < nh; h++ {
			for i := 0; i < t; i++ {
				row := att[((bi*nh+h)*t+i)*t:][:t]
				do := dout[(bi*t+i)*c+h*hs:][:hs]
				// through out = Σ att·v
				for j := 0; j <= i; j++ {
					v := qkv[(bi*t+j)*3*c+2*c+h*hs:][:hs]
					datt[j] = Dot(do, v)
					dv := dqkv[(bi*t+j)*3*c+2*c+h*hs:][:hs]
					Axpy(row[j], do, dv)
				}
				// through softmax
				var dot float32
				for j := 0; j <= i; j++ {
					dot += row[j] * datt[j]
				}
				q := qkv[(bi*t+i)*3*c+h*hs:][:hs]
				dq := dqkv[(bi*t+i)*3*c+h*hs:][:hs]
				for j := 0; j <= i; j++ {
					dpre := row[j] * (datt[j] - dot) * scale
					k := qkv[(bi*t+j)*3*c+c+h*hs:][:hs]
					dk := dqkv[(bi*t+j)*3*c+c+h*hs:][:hs]
					Axpy(dpre, k, dq)
					Axpy(dpre, q, dk)
				}
			}
		}
	}
}
