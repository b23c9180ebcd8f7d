// Boost.JSON's implementation, for builds without Debian's compiled libboost_json (the Windows
// cross build, cmake/FerryWindowsDeps.cmake): the header-only mode Boost documents, compiled once.
#include <boost/json/src.hpp>
