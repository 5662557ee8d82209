import Testing
@testable import OutreachServe

@Suite("SNSURLCheck")
struct SNSURLCheckTests {
    @Test(arguments: [
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1:t&Token=abc",
        "https://sns.us-gov-west-1.amazonaws.com/",
        "https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription",
        "https://sns.us-east-1.amazonaws.com",
        "https://sns.ap-southeast-2.amazonaws.com/SimpleNotificationService-abc.pem",
    ])
    func amazonURLs(url: String) {
        #expect(SNSURLCheck.isAmazonSNS(url))
    }

    @Test(arguments: [
        "http://sns.eu-west-1.amazonaws.com/",
        "https://sns.eu-west-1.amazonaws.com.evil.example/",
        "https://sns.eu-west-1.amazonaws.com@evil.example/",
        "https://user@sns.eu-west-1.amazonaws.com/",
        "https://sns.eu-west-1.amazonaws.com:443/",
        "https://SNS.EU-WEST-1.AMAZONAWS.COM/",
        "https://sns.amazonaws.com/",
        "https://sns.eu-west.amazonaws.com/",
        "https://sns.eu--1.amazonaws.com/",
        "https://sns.e-west-1.amazonaws.com/",
        "https://sqs.eu-west-1.amazonaws.com/",
        "https://evilsns.eu-west-1.amazonaws.com/",
        "https://sns.eu-west-1.amazonaws.com/ spaced",
        "",
        "sns.eu-west-1.amazonaws.com",
    ])
    func otherURLs(url: String) {
        #expect(!SNSURLCheck.isAmazonSNS(url))
    }

    @Test func certificateFileName() {
        #expect(SNSURLCheck.certificateFileName("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem")
            == "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem")
        #expect(SNSURLCheck.certificateFileName("https://sns.eu-west-1.amazonaws.com/a/b.pem") == nil)
        #expect(SNSURLCheck.certificateFileName("https://sns.eu-west-1.amazonaws.com/..pem") == nil)
        #expect(SNSURLCheck.certificateFileName("https://sns.eu-west-1.amazonaws.com/%2e%2e%2fx.pem") == nil)
        #expect(SNSURLCheck.certificateFileName("https://sns.eu-west-1.amazonaws.com/.pem") == nil)
        #expect(SNSURLCheck.certificateFileName("https://sns.eu-west-1.amazonaws.com/") == nil)
    }
}
