-- A small synthetic Moodle database for the moodle preset's tests: the tables the preset reads,
-- with the columns it reads and some it must never read (names, phone numbers, addresses, IP
-- addresses, passwords, free text), shaped as Moodle 4.x keeps them. {prefix} is the table
-- prefix. Portable SQL: it loads on MariaDB and PostgreSQL alike. No real people.
CREATE TABLE {prefix}user (
  id BIGINT NOT NULL PRIMARY KEY, auth VARCHAR(20) NOT NULL DEFAULT 'manual',
  confirmed SMALLINT NOT NULL DEFAULT 0, policyagreed SMALLINT NOT NULL DEFAULT 0,
  deleted SMALLINT NOT NULL DEFAULT 0, suspended SMALLINT NOT NULL DEFAULT 0,
  mnethostid BIGINT NOT NULL DEFAULT 0, username VARCHAR(100) NOT NULL,
  password VARCHAR(255) NOT NULL, idnumber VARCHAR(255) NOT NULL DEFAULT '',
  firstname VARCHAR(100) NOT NULL, lastname VARCHAR(100) NOT NULL, email VARCHAR(100) NOT NULL,
  phone1 VARCHAR(20) NOT NULL DEFAULT '', phone2 VARCHAR(20) NOT NULL DEFAULT '',
  institution VARCHAR(255) NOT NULL DEFAULT '', department VARCHAR(255) NOT NULL DEFAULT '',
  address VARCHAR(255) NOT NULL DEFAULT '', city VARCHAR(120) NOT NULL DEFAULT '',
  country VARCHAR(2) NOT NULL DEFAULT '', lang VARCHAR(30) NOT NULL DEFAULT 'en',
  firstaccess BIGINT NOT NULL DEFAULT 0, lastaccess BIGINT NOT NULL DEFAULT 0,
  lastlogin BIGINT NOT NULL DEFAULT 0, lastip VARCHAR(45) NOT NULL DEFAULT '',
  description TEXT, timecreated BIGINT NOT NULL DEFAULT 0, timemodified BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}user (id, username, password, idnumber, firstname, lastname, email, phone1,
  address, city, country, lastip, description, confirmed, firstaccess, lastaccess, lastlogin,
  timecreated, timemodified) VALUES
  (2, 'admin', '$2y$10$synthetichashsynthetichashsyntheticha', '', 'Adminfirst', 'Adminlast',
   'admin@example.invalid', '555-0100', '1 Synthetic Way', 'Testville', 'US', '192.0.2.10',
   'Site administrator', 1, 1700000000, 1700100000, 1700090000, 1690000000, 1700000000),
  (3, 'stu1001', '$2y$10$synthetichashsynthetichashsyntheticha', 'S-1001', 'Testfirstone',
   'Testlastone', 'Stu.One@Example.invalid', '555-0101', '2 Synthetic Way', 'Testville', 'US',
   '192.0.2.11', 'Likes maths', 1, 1700000100, 1700100100, 1700090100, 1690000100, 1700000100),
  (4, 'stu1002', '$2y$10$synthetichashsynthetichashsyntheticha', 'S-1002', 'Testfirsttwo',
   'Testlasttwo', 'stu.two@example.invalid', '555-0102', '3 Synthetic Way', 'Testville', 'US',
   '192.0.2.12', NULL, 1, 1700000200, 1700100200, 1700090200, 1690000200, 1700000200),
  (5, 'tea2001', '$2y$10$synthetichashsynthetichashsyntheticha', 'T-2001', 'Teachfirst',
   'Teachlast', 'teacher@example.invalid', '555-0103', '4 Synthetic Way', 'Testville', 'US',
   '192.0.2.13', NULL, 1, 1700000300, 1700100300, 1700090300, 1690000300, 1700000300);

CREATE TABLE {prefix}course_categories (
  id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, idnumber VARCHAR(100),
  description TEXT, parent BIGINT NOT NULL DEFAULT 0, sortorder BIGINT NOT NULL DEFAULT 0,
  visible SMALLINT NOT NULL DEFAULT 1, timemodified BIGINT NOT NULL DEFAULT 0,
  depth BIGINT NOT NULL DEFAULT 0, path VARCHAR(255) NOT NULL DEFAULT '');
INSERT INTO {prefix}course_categories (id, name, idnumber, parent, depth, path, timemodified)
  VALUES (1, 'Synthetic High', 'SH', 0, 1, '/1', 1690000000),
         (2, 'Grade 9', 'SH-9', 1, 2, '/1/2', 1690000001);

CREATE TABLE {prefix}course (
  id BIGINT NOT NULL PRIMARY KEY, category BIGINT NOT NULL DEFAULT 0,
  fullname VARCHAR(254) NOT NULL, shortname VARCHAR(255) NOT NULL,
  idnumber VARCHAR(100) NOT NULL DEFAULT '', summary TEXT, format VARCHAR(21) NOT NULL DEFAULT 'topics',
  startdate BIGINT NOT NULL DEFAULT 0, enddate BIGINT NOT NULL DEFAULT 0,
  visible SMALLINT NOT NULL DEFAULT 1, timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}course (id, category, fullname, shortname, idnumber, summary, startdate,
  enddate, timecreated, timemodified) VALUES
  (1, 0, 'Synthetic Site', 'site', '', NULL, 0, 0, 1690000000, 1690000000),
  (10, 2, 'Algebra I', 'ALG1', 'C-ALG1', 'Teacher notes', 1693526400, 1709251200, 1690000010,
   1690000010);

CREATE TABLE {prefix}enrol (
  id BIGINT NOT NULL PRIMARY KEY, enrol VARCHAR(20) NOT NULL, status BIGINT NOT NULL DEFAULT 0,
  courseid BIGINT NOT NULL, roleid BIGINT DEFAULT 0, password VARCHAR(50),
  enrolstartdate BIGINT DEFAULT 0, enrolenddate BIGINT DEFAULT 0, timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}enrol (id, enrol, courseid, roleid, password, timecreated, timemodified)
  VALUES (20, 'manual', 10, 5, 'enrolkey-synthetic', 1690000020, 1690000020);

CREATE TABLE {prefix}user_enrolments (
  id BIGINT NOT NULL PRIMARY KEY, status BIGINT NOT NULL DEFAULT 0, enrolid BIGINT NOT NULL,
  userid BIGINT NOT NULL, timestart BIGINT NOT NULL DEFAULT 0, timeend BIGINT NOT NULL DEFAULT 0,
  modifierid BIGINT NOT NULL DEFAULT 0, timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}user_enrolments (id, enrolid, userid, modifierid, timecreated, timemodified)
  VALUES (30, 20, 3, 2, 1690000030, 1690000030), (31, 20, 4, 2, 1690000031, 1690000031);

CREATE TABLE {prefix}role (
  id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL DEFAULT '',
  shortname VARCHAR(100) NOT NULL, description TEXT, sortorder BIGINT NOT NULL DEFAULT 0,
  archetype VARCHAR(30) NOT NULL DEFAULT '');
INSERT INTO {prefix}role (id, shortname, sortorder, archetype) VALUES
  (3, 'editingteacher', 3, 'editingteacher'), (5, 'student', 5, 'student');

CREATE TABLE {prefix}context (
  id BIGINT NOT NULL PRIMARY KEY, contextlevel BIGINT NOT NULL DEFAULT 0,
  instanceid BIGINT NOT NULL DEFAULT 0, path VARCHAR(255), depth SMALLINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}context (id, contextlevel, instanceid, path, depth) VALUES
  (1, 10, 0, '/1', 1), (40, 50, 10, '/1/40', 2);

CREATE TABLE {prefix}role_assignments (
  id BIGINT NOT NULL PRIMARY KEY, roleid BIGINT NOT NULL DEFAULT 0,
  contextid BIGINT NOT NULL DEFAULT 0, userid BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0, modifierid BIGINT NOT NULL DEFAULT 0,
  component VARCHAR(100) NOT NULL DEFAULT '', itemid BIGINT NOT NULL DEFAULT 0,
  sortorder BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}role_assignments (id, roleid, contextid, userid, timemodified, modifierid)
  VALUES (50, 5, 40, 3, 1690000050, 2), (51, 5, 40, 4, 1690000051, 2),
         (52, 3, 40, 5, 1690000052, 2);

CREATE TABLE {prefix}cohort (
  id BIGINT NOT NULL PRIMARY KEY, contextid BIGINT NOT NULL, name VARCHAR(254) NOT NULL DEFAULT '',
  idnumber VARCHAR(100), description TEXT, visible SMALLINT NOT NULL DEFAULT 1,
  component VARCHAR(100) NOT NULL DEFAULT '', timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}cohort (id, contextid, name, idnumber, timecreated, timemodified)
  VALUES (60, 1, 'Class of 2028', 'CO2028', 1690000060, 1690000060);

CREATE TABLE {prefix}cohort_members (
  id BIGINT NOT NULL PRIMARY KEY, cohortid BIGINT NOT NULL DEFAULT 0,
  userid BIGINT NOT NULL DEFAULT 0, timeadded BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}cohort_members (id, cohortid, userid, timeadded)
  VALUES (70, 60, 3, 1690000070), (71, 60, 4, 1690000071);

CREATE TABLE {prefix}assign (
  id BIGINT NOT NULL PRIMARY KEY, course BIGINT NOT NULL DEFAULT 0, name VARCHAR(255) NOT NULL,
  intro TEXT, duedate BIGINT NOT NULL DEFAULT 0, allowsubmissionsfromdate BIGINT NOT NULL DEFAULT 0,
  cutoffdate BIGINT NOT NULL DEFAULT 0, grade BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}assign (id, course, name, intro, duedate, grade, timemodified)
  VALUES (80, 10, 'Homework 1', 'Solve the synthetic problems', 1695000000, 100, 1690000080);

CREATE TABLE {prefix}assign_grades (
  id BIGINT NOT NULL PRIMARY KEY, assignment BIGINT NOT NULL DEFAULT 0,
  userid BIGINT NOT NULL DEFAULT 0, timecreated BIGINT NOT NULL DEFAULT 0,
  timemodified BIGINT NOT NULL DEFAULT 0, grader BIGINT NOT NULL DEFAULT 0,
  grade NUMERIC(10,5) DEFAULT -1, attemptnumber BIGINT NOT NULL DEFAULT 0);
INSERT INTO {prefix}assign_grades (id, assignment, userid, timecreated, timemodified, grader,
  grade) VALUES (90, 80, 3, 1695100000, 1695100000, 5, 87.50000),
                (91, 80, 4, 1695100001, 1695100001, 5, 92.00000);

CREATE TABLE {prefix}grade_items (
  id BIGINT NOT NULL PRIMARY KEY, courseid BIGINT, itemname VARCHAR(255),
  itemtype VARCHAR(30) NOT NULL DEFAULT '', itemmodule VARCHAR(30), iteminstance BIGINT,
  grademax NUMERIC(10,5) NOT NULL DEFAULT 100, grademin NUMERIC(10,5) NOT NULL DEFAULT 0,
  timecreated BIGINT, timemodified BIGINT);
INSERT INTO {prefix}grade_items (id, courseid, itemname, itemtype, itemmodule, iteminstance,
  timecreated, timemodified) VALUES (100, 10, 'Homework 1', 'mod', 'assign', 80, 1690000100,
  1690000100);

CREATE TABLE {prefix}grade_grades (
  id BIGINT NOT NULL PRIMARY KEY, itemid BIGINT NOT NULL, userid BIGINT NOT NULL,
  rawgrade NUMERIC(10,5), rawgrademax NUMERIC(10,5) NOT NULL DEFAULT 100,
  finalgrade NUMERIC(10,5), overridden BIGINT NOT NULL DEFAULT 0, feedback TEXT,
  timecreated BIGINT, timemodified BIGINT);
INSERT INTO {prefix}grade_grades (id, itemid, userid, rawgrade, finalgrade, feedback,
  timecreated, timemodified) VALUES
  (110, 100, 3, 87.5, 87.5, 'Well done Testfirstone', 1695100000, 1695100000),
  (111, 100, 4, 92, 92, NULL, 1695100001, NULL);

CREATE TABLE {prefix}logstore_standard_log (
  id BIGINT NOT NULL PRIMARY KEY, eventname VARCHAR(255) NOT NULL DEFAULT '',
  component VARCHAR(100) NOT NULL DEFAULT '', action VARCHAR(100) NOT NULL DEFAULT '',
  target VARCHAR(100) NOT NULL DEFAULT '', objecttable VARCHAR(50), objectid BIGINT,
  crud VARCHAR(1) NOT NULL DEFAULT '', edulevel SMALLINT NOT NULL DEFAULT 0,
  contextid BIGINT NOT NULL DEFAULT 0, contextlevel BIGINT NOT NULL DEFAULT 0,
  contextinstanceid BIGINT NOT NULL DEFAULT 0, userid BIGINT NOT NULL DEFAULT 0,
  courseid BIGINT, relateduserid BIGINT, anonymous SMALLINT NOT NULL DEFAULT 0, other TEXT,
  timecreated BIGINT NOT NULL DEFAULT 0, origin VARCHAR(10), ip VARCHAR(45), realuserid BIGINT);
INSERT INTO {prefix}logstore_standard_log (id, eventname, component, action, target, crud,
  edulevel, contextid, contextlevel, contextinstanceid, userid, courseid, relateduserid, other,
  timecreated, origin, ip) VALUES
  (120, 'core_event_course_viewed', 'core', 'viewed', 'course', 'r', 2, 40, 50, 10, 3, 10, NULL,
   'N;', 1695200000, 'web', '192.0.2.11'),
  (121, 'mod_assign_event_submission_graded', 'mod_assign', 'graded', 'submission', 'u', 1, 40,
   50, 10, 5, 10, 3, '{"note":"Testfirstone"}', 1695200001, 'web', '192.0.2.13');
