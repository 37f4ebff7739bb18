// Includes the umbrella header of an installed jepasnn and uses a little of it.
#include <jepasnn/jepasnn.hpp>

#include <iostream>

int main() {
    jepasnn::RandomStream rng(1, 2);
    jepasnn::RowMatrix<double> m(2, 2);
    for (auto i = 0; i < 4; ++i)
        m.data()[i] = rng.normal();
    if (!m.allFinite()) return 1;
    std::cout << "consumer: jepasnn " << jepasnn::version_string << " ok" << std::endl;
    return 0;
}
