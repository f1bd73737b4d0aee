// Package models holds the pretrained base model that `align run` starts
// from, embedded in the binary so that nothing is downloaded at run time.
//
// The loop of the mission starts from a pretrained model: nobody pretrains
// inside an RLHF run. The base in base/ is what `align pretrain` makes from
// the committed settings in base/pretrain.yaml on the embedded default
// corpus, with two threads; one command reproduces it bit for bit (see
// base/README.md), and `align run --from-scratch` pretrains inside the run
// instead. [Current] tells whether the base was made from today's corpus:
// a change to the default world calls for a new base.
package models
