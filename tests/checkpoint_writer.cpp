// The process the checkpoint kill test (tests/checkpoint_kill_test.cpp) kills: a seeded
// JEM run that saves its checkpoint after every iteration, forever.
//   checkpoint_writer PATH
#include <cstdio>
#include <string>

#include "checkpoint_run.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: checkpoint_writer PATH\n");
        return 2;
    }
    ebmkit::test::CheckpointRun run;
    for (;;) {
        run.step();
        run.trainer.save(argv[1]);
    }
}
