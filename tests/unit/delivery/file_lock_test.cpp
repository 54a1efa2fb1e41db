// The locks that tell work in progress from work a killed process left: a
// batch's lock never exists unlocked, and whoever checks on it never creates it.

#include "common/file_lock.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace passerelle {
namespace {

namespace fs = std::filesystem;

class FileLockTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "passerelle-lock-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
};

// flock locks belong to an open file, so a second open in this process stands
// for another process.
TEST_F(FileLockTest, ACreatedLockIsHeldFromItsFirstMomentAndLeavesNoTemporaryFile) {
    const fs::path file = dir_ / ".sealing";
    {
        const FileLock held = FileLock::createHeld(file);
        EXPECT_TRUE(fs::exists(file));
        EXPECT_FALSE(FileLock::tryAcquireExisting(file).has_value());
        EXPECT_FALSE(FileLock::tryAcquire(file).has_value());
        std::size_t files = 0;
        for ([[maybe_unused]] const auto& item : fs::directory_iterator(dir_)) ++files;
        EXPECT_EQ(files, 1u);
    }
    EXPECT_TRUE(FileLock::tryAcquireExisting(file).has_value()) << "released when its holder goes";
}

TEST_F(FileLockTest, CheckingALockThatIsGoneNeitherTakesNorCreatesIt) {
    const fs::path file = dir_ / ".sealing";
    EXPECT_FALSE(FileLock::tryAcquireExisting(file).has_value());
    EXPECT_FALSE(fs::exists(file));

    // The holder finishes: it removes the file while it still holds it. Whoever
    // checks afterwards finds nothing to take, rather than a fresh free lock.
    {
        const FileLock held = FileLock::createHeld(file);
        fs::remove(file);
        EXPECT_FALSE(FileLock::tryAcquireExisting(file).has_value());
    }
    EXPECT_FALSE(fs::exists(file));
}

// A kill between creating the temporary file and renaming it leaves the file;
// recovery removes it only when the process it names is gone.
TEST_F(FileLockTest, ATemporaryLockIsKnownLeftOverOnlyWhenItsProcessIsGone) {
    const pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(FileLock::isTemporaryOfDeadProcess(dir_ / (".sealing.new-" + std::to_string(child))));
    EXPECT_FALSE(FileLock::isTemporaryOfDeadProcess(dir_ / (".sealing.new-" + std::to_string(::getpid()))));
    EXPECT_FALSE(FileLock::isTemporaryOfDeadProcess(dir_ / ".sealing.new-x1"));
    EXPECT_FALSE(FileLock::isTemporaryOfDeadProcess(dir_ / ".sealing"));
}

TEST_F(FileLockTest, ALockThatCannotBeCreatedIsAClearError) {
    try {
        FileLock::createHeld(dir_ / "no-such-folder" / ".sealing");
        FAIL() << "expected a StoreError";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("no-such-folder"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace passerelle
