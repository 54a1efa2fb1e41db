#include "party/background_loop.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace passerelle::exchange {

BackgroundLoop::BackgroundLoop(Task task) : task_(std::move(task)), timer_(io_) {}

BackgroundLoop::~BackgroundLoop() { stop(); }

void BackgroundLoop::start(std::chrono::steady_clock::duration firstRunAfter) {
    armTimer(firstRunAfter);
    thread_ = std::thread([this] {
        auto work = boost::asio::make_work_guard(io_);
        io_.run();
    });
}

void BackgroundLoop::notify() {
    if (stopping_ || pending_.exchange(true)) return;
    boost::asio::post(io_, [this] {
        pending_ = false;
        run();
    });
}

void BackgroundLoop::stop() {
    if (stopping_.exchange(true) || !thread_.joinable()) return;
    io_.stop();      // no new handler starts (the armed wait is dropped with io_); one in progress runs to its end
    thread_.join();  // which this waits for
}

void BackgroundLoop::armTimer(std::chrono::steady_clock::duration wait) {
    timer_.expires_after(wait);  // a wait already armed ends with operation_aborted
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) run();
    });
}

void BackgroundLoop::run() {
    if (stopping_) return;
    armTimer(task_());
}

}  // namespace passerelle::exchange
