/// @file
/// Out-of-distribution detection's metrics: how well a score ranks in-distribution inputs
/// above out-of-distribution ones (higher = more in-distribution: a JEM's -E(x), its
/// max_y p(y | x), an RBM's -F(v)). On two sets of scores:
///   AUROC           P(in > out) + 1/2 P(in = out), the Mann-Whitney statistic
///   AUPR-in         average precision with the in-distribution set positive,
///                   sum over the distinct scores t, descending, of (R(t) - R(t_prev)) P(t)
///                   (scikit-learn's average_precision_score)
///   AUPR-out        the same with the out-of-distribution set positive on the negated scores
///   FPR at 95% TPR  the least fraction of the out set at or above a threshold that keeps at
///                   least 95% of the in set at or above it
/// each with a 95% bootstrap interval: the 2.5% and 97.5% percentiles (linearly interpolated)
/// over `reps` resamples, each set's rows drawn with replacement by keyed Philox
/// (seed, Bootstrap, chain = rep, step = 0 for the in set and 1 for the out set).
#pragma once

#include <cstdint>
#include <vector>

#include "ebmkit/context.hpp"
#include "ebmkit/mlp.hpp"
#include "ebmkit/rbm.hpp"
#include "ebmkit/tensor.hpp"

namespace ebmkit {

/// A metric of a ranking with its bootstrap 95% interval.
struct RankMetric {
    double value = 0;  ///< on the sets as given
    double low = 0;    ///< the interval's ends over the bootstrap resamples (the value itself
    double high = 0;   ///< when there are none)
};

/// How well a score separates in-distribution inputs (scored higher) from the others.
struct OodMetrics {
    RankMetric auroc;          ///< area under the ROC curve
    RankMetric aupr_in;        ///< area under the precision-recall curve, in-distribution positive
    RankMetric aupr_out;       ///< the same, out-of-distribution positive (the score negated)
    RankMetric fpr_at_95_tpr;  ///< the false-positive rate at the threshold that keeps 95% of the in set
};

/// in_scores and out_scores non-empty and finite; reps >= 0 (0: no intervals).
OodMetrics ood_metrics(const std::vector<float>& in_scores, const std::vector<float>& out_scores, int reps = 1000,
                       std::uint64_t seed = 0);

/// The ROC curve of the same scores: (false-positive rate, true-positive rate) with each
/// distinct score as the threshold (at or above it counts as in), descending, from (0, 0)
/// to (1, 1); the area under it by the trapezoid rule is the AUROC.
struct RocPoint {
    double fpr;  ///< false-positive rate: the share of the out set at or above the threshold
    double tpr;  ///< true-positive rate: the share of the in set at or above it
};
/// @copydoc RocPoint
std::vector<RocPoint> roc_curve(const std::vector<float>& in_scores, const std::vector<float>& out_scores);

/// The scores a JEM gives each row (Grathwohl et al. 2020), each higher for rows more like
/// its training data:
///   log_density    -E(x) = LSE f(x), log p(x) up to log Z
///   max_softmax    max_y p(y | x)
///   neg_grad_norm  -|grad_x log p(x)| = -|grad_x E(x)|
struct JemOodScores {
    std::vector<float> log_density;    ///< [N] -E(x)
    std::vector<float> max_softmax;    ///< [N] max_y p(y | x)
    std::vector<float> neg_grad_norm;  ///< [N] -|grad_x E(x)|
};
/// x [N, D] float32 on any device (moved to ctx's in chunks of 1024 rows); the model on ctx's.
JemOodScores jem_ood_scores(Context& ctx, const MlpEnergy& model, ConstTensorView x);
/// An RBM's score of each row of v [N, visible]: -F(v), log p(v) up to log Z.
std::vector<float> rbm_ood_scores(Context& ctx, const Rbm& rbm, ConstTensorView v);

}  // namespace ebmkit
