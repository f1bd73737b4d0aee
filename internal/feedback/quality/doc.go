// Package quality measures how far human labels can be trusted: Krippendorff's
// α for agreement, leave-one-out consensus agreement and gold accuracy per
// annotator, Dawid–Skene estimates of each annotator's reliability, the
// reliability-weighted aggregate preference, and flags for annotators who look
// adversarial (labels anti-correlated with consensus or gold) or whose time per
// item is an outlier. It works on plain values and knows nothing of storage.
package quality
