// Bucket arithmetic of the loop's histograms.
#include "histogram.h"

#include <algorithm>
#include <cassert>

namespace baton {

histogram::histogram(const std::vector<double>& bounds)
    : bounds_(&bounds), counts_(bounds.size() + 1, 0) {
    assert(std::is_sorted(bounds.begin(), bounds.end()));
}

void histogram::observe(double v) {
    // The first bound >= v (`le` includes its bound); past the last bound: +Inf.
    const auto it = std::lower_bound(bounds_->begin(), bounds_->end(), v);
    ++counts_[static_cast<std::size_t>(it - bounds_->begin())];
    ++count_;
    sum_ += v;
}

std::uint64_t histogram::cumulative(std::size_t i) const {
    std::uint64_t n = 0;
    for (std::size_t b = 0; b <= i && b < counts_.size(); ++b) n += counts_[b];
    return n;
}

const std::vector<double>& seconds_bounds() {
    static const std::vector<double> b{.0005, .001, .0025, .005, .01, .025, .05,
                                       .1,    .25,  .5,    1,    2.5, 5,    10};
    return b;
}

const std::vector<double>& batch_size_bounds() {
    static const std::vector<double> b{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
    return b;
}

}  // namespace baton
